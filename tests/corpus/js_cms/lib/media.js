import { spawn, execFile, exec } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";

const MEDIA = "/srv/media";

export function resize(file, width) {
  return spawn(`convert ${file} -resize ${width} out.jpg`, { shell: true }); // tavo-label: vuln command-injection
}

export function resizeSafe(file, width) {
  return execFile("convert", [file, "-resize", String(width), "out.jpg"]); // tavo-label: safe command-injection
}

export function probe(file) {
  exec("ffprobe " + file, () => {}); // tavo-label: vuln command-injection
}

export async function readMedia(name) {
  return fs.readFile(path.join(MEDIA, name)); // tavo-label: vuln path-traversal
}

export async function readMediaSafe(name) {
  return fs.readFile(path.join(MEDIA, path.basename(name))); // tavo-label: safe path-traversal
}
