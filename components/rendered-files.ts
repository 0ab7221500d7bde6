import * as pulumi from "@pulumi/pulumi";

/** A configuration file the stack renders and uploads into a container. */
export interface RenderedFile {
  /** Where the offline render writes it, relative to `out/<stack>/`, e.g. `nginx/nginx.conf`. */
  path: string;
  /** The exact bytes uploaded. */
  content: pulumi.Input<string>;
}

const published: RenderedFile[] = [];

/**
 * Records a rendered file so that `npm run render` can write it out. Only files without secrets
 * are published: the render's output is meant to be read, diffed and checked by real tools.
 */
export function publishRenderedFile(file: RenderedFile): void {
  published.push(file);
}

/** The files published so far by the program evaluated in this process. */
export function renderedFiles(): readonly RenderedFile[] {
  return published;
}
