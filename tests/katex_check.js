// Reads a JSON list of [latex, display] pairs on stdin; prints a JSON list of the errors
// katex.renderToString reports with throwOnError (an empty list when every span typesets).
const katex = require("katex");
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const errors = [];
  for (const [latex, display] of JSON.parse(input)) {
    try {
      katex.renderToString(latex, { throwOnError: true, displayMode: display, strict: "error" });
    } catch (error) {
      errors.push({ latex: latex.slice(0, 300), error: String(error.message).slice(0, 300) });
    }
  }
  process.stdout.write(JSON.stringify(errors));
});
