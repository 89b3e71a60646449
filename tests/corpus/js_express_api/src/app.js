const express = require("express");
const users = require("./routes/users");
const files = require("./routes/files");
const tools = require("./routes/tools");

const app = express();
app.use(express.json());
app.use("/users", users);
app.use("/files", files);
app.use("/tools", tools);

app.get("/hello", (req, res) => {
  res.send(`<p>Hello ${req.query.name}</p>`); // tavo-label: vuln xss
});

app.get("/hello-json", (req, res) => {
  res.json({ greeting: `Hello ${req.query.name}` }); // tavo-label: safe xss
});

app.get("/go", (req, res) => {
  res.redirect(req.query.next); // tavo-label: vuln open-redirect
});

app.get("/home", (req, res) => {
  res.redirect("/dashboard"); // tavo-label: safe open-redirect
});

app.post("/eval", (req, res) => {
  const result = eval(req.body.expression); // tavo-label: vuln code-injection
  res.json({ result });
});

app.post("/calc", (req, res) => {
  const a = Number(req.body.a);
  const b = Number(req.body.b);
  res.json({ result: eval(`${a} + ${b}`) }); // tavo-label: safe code-injection
});

module.exports = app;
