"use strict";
// The state file of earlier versions (AVP_STATE_FILE, format avp-ts-state/1: the signing-key seed
// and every repository in one JSON document), read once to seed a new SQLite database.
Object.defineProperty(exports, "__esModule", { value: true });
exports.StateFileError = void 0;
exports.readStateFile = readStateFile;
const node_fs_1 = require("node:fs");
const b64_1 = require("./b64");
const json_1 = require("./json");
const FORMAT = "avp-ts-state/1";
// The state file nests bodies two levels deeper than a request; give it room.
const FILE_MAX_DEPTH = 64;
class StateFileError extends Error {
}
exports.StateFileError = StateFileError;
function readStateFile(file) {
    let doc;
    try {
        doc = (0, json_1.parseJson)((0, node_fs_1.readFileSync)(file, "utf8"), FILE_MAX_DEPTH);
    }
    catch (e) {
        throw new StateFileError(`${file} cannot be read as JSON: ${e.message}`);
    }
    const seed = (0, json_1.isObject)(doc) && typeof doc["signingKeySeed"] === "string" ? (0, b64_1.decodeStd)(doc["signingKeySeed"]) : null;
    if (!(0, json_1.isObject)(doc) || doc["format"] !== FORMAT || seed === null || seed.length !== 32 || !(0, json_1.isObject)(doc["repos"])) {
        throw new StateFileError(`${file} is not an ${FORMAT} state file`);
    }
    const stored = doc["repos"];
    const repos = Object.keys(stored).map((id) => {
        const r = stored[id];
        if (!(0, json_1.isObject)(r) || !(0, json_1.isObject)(r["manifest"]) || !(0, json_1.isObject)(r["envelope"]) || !Array.isArray(r["manifest"]["members"])) {
            throw new StateFileError(`${file}: repository entry is malformed`);
        }
        const members = r["manifest"].members.map((m) => m.ed25519PublicKey);
        return { id, manifest: (0, json_1.stringify)(r["manifest"]), envelope: (0, json_1.stringify)(r["envelope"]), members };
    });
    return { seed, repos };
}
