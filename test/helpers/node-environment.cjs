/**
 * Jest's Node environment, with the one thing it leaves out that carewire's transport reads:
 * undici's global dispatcher. Jest runs each suite in a context of its own, whose `globalThis`
 * lacks the symbol where Node's fetch (from the outer context) keeps its dispatcher, so without
 * this every suite would run the path of a fetch that is not Node's, and none the one an app's
 * Node process runs. The symbol reads and writes the outer context's slot.
 */
const { TestEnvironment } = require("jest-environment-node");

const GLOBAL_DISPATCHER = Symbol.for("undici.globalDispatcher.1");

class NodeEnvironmentWithDispatcher extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    Object.defineProperty(this.global, GLOBAL_DISPATCHER, {
      configurable: true,
      get: () => globalThis[GLOBAL_DISPATCHER],
      set: (dispatcher) => {
        globalThis[GLOBAL_DISPATCHER] = dispatcher;
      },
    });
  }
}

module.exports = NodeEnvironmentWithDispatcher;
