// Prettier plugin for the filter's AssemblyScript. Its decorators (@inline, @external, @lazy,
// @unsafe, @operator) stand where TypeScript allows none, so Prettier's TypeScript parser would
// reject the file. Before parsing, each decorator (found by AssemblyScript's own parser) becomes
// a block comment /*@AS…*/; when printing, such a comment is written back as the decorator.
// (npm's assemblyscript-prettier does the same but adds a blank line on every run.)
import { NodeKind, Parser } from "assemblyscript";
import { parsers } from "prettier/plugins/typescript";
import estree from "prettier/plugins/estree";

const MARK = "@AS";
const base = estree.printers.estree;

/** Start and end offsets of every decorator on top-level statements and class/namespace members. */
function decoratorRanges(text) {
  const parser = new Parser();
  parser.parseFile(text, "prettier.ts", true);
  const ranges = [];
  const visit = (node) => {
    for (const d of node.decorators ?? []) ranges.push([d.range.start, d.range.end]);
    if (
      node.kind === NodeKind.ClassDeclaration ||
      node.kind === NodeKind.InterfaceDeclaration ||
      node.kind === NodeKind.NamespaceDeclaration
    ) {
      node.members.forEach(visit);
    }
  };
  parser.sources[0].statements.forEach(visit);
  return ranges.sort((a, b) => a[0] - b[0]);
}

function hideDecorators(text) {
  let out = "";
  let at = 0;
  for (const [start, end] of decoratorRanges(text)) {
    out += `${text.slice(at, start)}/*${MARK}${text.slice(start, end)}*/`;
    at = end;
  }
  return out + text.slice(at);
}

export default {
  parsers: {
    typescript: { ...parsers.typescript, astFormat: "assemblyscript", preprocess: hideDecorators },
  },
  printers: {
    assemblyscript: {
      ...base,
      printComment(path, options) {
        const c = path.node; // a block comment's value is its text between /* and */
        return c.type === "Block" && c.value.startsWith(MARK) ? c.value.slice(MARK.length) : base.printComment(path, options);
      },
    },
  },
};
