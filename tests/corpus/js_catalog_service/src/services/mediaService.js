const fs = require('fs');
const path = require('path');
const { exec } = require('child_process');
const validator = require('validator');

const MEDIA_ROOT = '/srv/media';

function storeUpload(file) {
  const target = path.join(MEDIA_ROOT, file.originalname);
  fs.renameSync(file.path, target); // tavo-label: vuln path-traversal
  return target;
}

function storeUploadSafe(file) {
  const target = path.join(MEDIA_ROOT, path.basename(file.originalname));
  fs.renameSync(file.path, target); // tavo-label: safe path-traversal
  return target;
}

function thumbnail(id) {
  return new Promise((resolve, reject) => {
    if (!validator.isUUID(id)) return reject(new Error('bad id'));
    exec(`convert ${MEDIA_ROOT}/${id}.png -resize 64x64 ${MEDIA_ROOT}/${id}.thumb.png`, (err) => (err ? reject(err) : resolve())); // tavo-label: safe command-injection
  });
}

function watermark(name) {
  return new Promise((resolve) => {
    exec(`composite mark.png ${MEDIA_ROOT}/${name} ${MEDIA_ROOT}/${name}`, (err, out) => resolve(out)); // tavo-label: vuln command-injection
  });
}

module.exports = { storeUpload, storeUploadSafe, thumbnail, watermark };
