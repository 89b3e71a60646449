// Settings are deep-merged from the client's JSON.
function mergeInto(target, source) {
  for (const key of Object.keys(source)) {
    if (source[key] && typeof source[key] === 'object') {
      if (!target[key]) target[key] = {};
      mergeInto(target[key], source[key]);
    } else {
      target[key] = source[key]; // tavo-label: vuln prototype-pollution
    }
  }
  return target;
}

function mergeSafely(target, source) {
  for (const key of Object.keys(source)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    if (source[key] && typeof source[key] === 'object') {
      if (!target[key]) target[key] = {};
      mergeSafely(target[key], source[key]);
    } else {
      target[key] = source[key]; // tavo-label: safe prototype-pollution
    }
  }
  return target;
}

module.exports = { mergeInto, mergeSafely };
