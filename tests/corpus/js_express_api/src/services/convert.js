const { exec, execFile } = require("child_process");

const FORMATS = new Set(["png", "jpg", "webp"]);

function convert(input, format) {
  execFile("convert", [input, `out.${FORMATS.has(format) ? format : "png"}`]); // tavo-label: safe command-injection
  exec(`convert ${input} out.png`); // tavo-label: vuln command-injection
}

function backup() {
  exec("tar czf /backups/storage.tgz /srv/storage"); // tavo-label: safe command-injection
}

module.exports = { convert, backup };
