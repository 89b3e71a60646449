const mongoose = require('mongoose');

const User = mongoose.model('User', new mongoose.Schema({ email: String, passwordHash: String, team: String }));

function byCredentials(email, passwordHash) {
  return User.findOne({ email, passwordHash }); // tavo-label: vuln nosql-injection
}

function byEmail(email) {
  return User.findOne({ email: String(email) }); // tavo-label: safe nosql-injection
}

function inTeam(team) {
  return User.find({ team: { $eq: team } }); // tavo-label: safe nosql-injection
}

module.exports = { User, byCredentials, byEmail, inTeam };
