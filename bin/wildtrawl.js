#!/usr/bin/env node
// The command runs the TypeScript sources directly: Node 24 strips types natively.
import "../src/main.ts";
