/**
 * @nestjs/throttler is CommonJS and require()s @nestjs/common and @nestjs/core, which are ES
 * modules. Jest evaluates a CommonJS dependency while it links the importing ES graph, so a test
 * whose graph holds both would require() Nest while Nest itself is still linking (Jest's
 * ERR_REQUIRE_CYCLE_MODULE). Loaded here first, in a graph of their own, Nest is evaluated by then
 * and the require() just returns it. Node itself (the built service) has no such issue.
 */
await import('@nestjs/common');
await import('@nestjs/core');
export {};
