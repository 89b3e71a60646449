// Per-user preferences kept in memory, grouped by section.
const prefs = {};

function setPref(section, name, value) {
  prefs[section] = prefs[section] || {};
  prefs[section][name] = value; // tavo-label: vuln prototype-pollution
}

function setPrefChecked(section, name, value) {
  if (!Object.hasOwn(prefs, section)) {
    throw new Error('unknown section');
  }
  prefs[section][name] = value; // tavo-label: safe prototype-pollution
}

module.exports = { setPref, setPrefChecked };
