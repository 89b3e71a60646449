const express = require('express');
const auth = require('./auth/routes');

const app = express();
app.use(express.json());
app.use('/auth', auth);
app.listen(3000);
