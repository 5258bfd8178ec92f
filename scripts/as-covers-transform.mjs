// @as-covers/transform, with one fix: it gathers the lines marked `// @as-covers: ignore` into a
// single set for all files, so a mark in as-pect's own library (21 of them) hides the same line
// numbers in kscope's files from coverage. Here only marks in kscope's files count. Replacing
// one character keeps every offset, so positions and diagnostics stay the same.
import CoverTransform from "@as-covers/transform";

export default class extends CoverTransform {
  afterParse(parser) {
    for (const source of parser.sources) {
      if (!source.normalizedPath.startsWith("assembly/")) source.text = source.text.replaceAll("@as-covers: ignore", "@as-covers- ignore");
    }
    super.afterParse(parser);
  }
}
