const express = require('express');
const catalog = require('./routes/catalog');

const app = express();
app.use(express.json());
app.use('/catalog', catalog);
app.listen(process.env.PORT || 3000);
