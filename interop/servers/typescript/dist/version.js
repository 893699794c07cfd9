"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.VERSION = void 0;
// One version for the server and the actor; keep in step with package.json.
exports.VERSION = "0.1.0";
