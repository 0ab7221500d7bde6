/** A `server { … }` block of an nginx configuration: its directives, one per entry, in order. */
export interface ServerBlock {
  directives: string[];
}

/**
 * Splits an nginx configuration into the directives of the http level and its server blocks. It
 * reads nesting by braces and ends directives at semicolons; quoted braces do not occur in the
 * configurations this stack renders.
 */
export function parseNginx(conf: string): { http: string[]; servers: ServerBlock[] } {
  const http: string[] = [];
  const servers: ServerBlock[] = [];
  const stack: { name: string; directives: string[] }[] = [];
  let current = "";
  for (const char of conf.replace(/#[^\n]*/g, "")) {
    if (char === "{") {
      stack.push({ name: current.trim(), directives: [] });
      current = "";
    } else if (char === "}") {
      const block = stack.pop();
      if (block?.name === "server") {
        servers.push({ directives: block.directives });
      } else if (block !== undefined && stack.length > 0) {
        // Directives of a location stay with the server that holds them.
        stack[stack.length - 1].directives.push(...block.directives);
      }
      current = "";
    } else if (char === ";") {
      const directive = current.trim().replace(/\s+/g, " ");
      const inServer = stack.find((b) => b.name === "server");
      if (inServer !== undefined) {
        stack[stack.length - 1].directives.push(directive);
      } else if (stack.length > 0 && stack[stack.length - 1].name === "http") {
        http.push(directive);
      }
      current = "";
    } else {
      current += char;
    }
  }
  return { http, servers };
}

/** The values of every directive named `name`, e.g. ["443 ssl http2 default_server"]. */
export function valuesOf(directives: string[], name: string): string[] {
  return directives
    .filter((d) => d === name || d.startsWith(`${name} `))
    .map((d) => d.slice(name.length).trim());
}
