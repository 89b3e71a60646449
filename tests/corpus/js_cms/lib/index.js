export { pageBySlug, pageById, pagesSorted, pagesByTag } from "./sql.js";
export * from "./media.js";
export * as html from "./html.js";
