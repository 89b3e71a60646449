import fs from "fs";
import path from "path";

const DIR = "/srv/summaries";

export function saveSummary(summary: string) {
  fs.writeFileSync(path.join(DIR, "latest.txt"), summary); // tavo-label: safe insecure-output
}

export function saveAs(name: string, summary: string) {
  fs.writeFileSync(path.join(DIR, name), summary);
}
