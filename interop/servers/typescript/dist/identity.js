"use strict";
// A member identity: Ed25519 (member id, signs login challenges) + X25519 (receives wrapped keys).
Object.defineProperty(exports, "__esModule", { value: true });
exports.Identity = void 0;
const node_crypto_1 = require("node:crypto");
const b64_1 = require("./b64");
const ed25519_1 = require("./ed25519");
const keys_1 = require("./keys");
class Identity {
    ed25519;
    x25519;
    ed25519Public;
    x25519Public;
    memberId;
    x25519PublicB64;
    constructor(ed25519, x25519) {
        this.ed25519 = ed25519;
        this.x25519 = x25519;
        this.ed25519Public = (0, keys_1.rawPublic)(ed25519);
        this.x25519Public = (0, keys_1.rawPublic)(x25519);
        this.memberId = (0, b64_1.encodeStd)(this.ed25519Public);
        this.x25519PublicB64 = (0, b64_1.encodeStd)(this.x25519Public);
    }
    static random() {
        return new Identity((0, node_crypto_1.generateKeyPairSync)("ed25519").privateKey, (0, node_crypto_1.generateKeyPairSync)("x25519").privateKey);
    }
    static fromRaw(ed25519Seed, x25519Private) {
        return new Identity(ed25519Seed === null ? (0, node_crypto_1.generateKeyPairSync)("ed25519").privateKey : (0, keys_1.privateKeyFromRaw)("Ed25519", ed25519Seed), x25519Private === null ? (0, node_crypto_1.generateKeyPairSync)("x25519").privateKey : (0, keys_1.privateKeyFromRaw)("X25519", x25519Private));
    }
    sign(message) {
        return (0, ed25519_1.signEd25519)(this.ed25519, message);
    }
}
exports.Identity = Identity;
