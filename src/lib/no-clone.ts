// What makes BareFn, Library and memory block objects refuse structuredClone and postMessage with a message
// that says why. Both are bound to native state of the thread that made them; a clone would be a
// plain object without it (a BareFn without its address), which fails later and far away.
//
// V8 clones a class instance's own enumerable properties and refuses symbols as values, naming
// them in its DataCloneError: an own property holding this symbol is the cheapest way to turn a
// silent, useless clone into that error (one shared value; no accessor per object, and
// JSON.stringify and spreading still work: they skip or copy it). The description stays under 120
// characters: V8 12 (Node 22) cuts longer ones out of its message.

/** The value of `noClone` on every BareFn, Library and memory block. */
export const NO_CLONE: unique symbol = Symbol(
  'bare-fn objects stay on the thread that made them: post a BareFn\'s or block\'s .address, a Library\'s .path, and rebuild',
);
