// Prepended to the Emscripten glue (outside its factory). The 3.1.6 glue reads
// `__dirname` in Node, which an ES module does not have; wasm/index.js hands the
// glue the compiled wasm itself (instantiateWasm), so the glue never reads files.
var __dirname = "";
