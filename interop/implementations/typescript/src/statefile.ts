// The state file of earlier versions (AVP_STATE_FILE, format avp-ts-state/1: the signing-key seed
// and every repository in one JSON document), read once to seed a new SQLite database.

import { readFileSync } from "node:fs";
import { decodeStd } from "./b64";
import { isObject, parseJson, stringify } from "./json";
import type { Manifest } from "./schema";
import type { InitialState } from "./sqlitestore";

const FORMAT = "avp-ts-state/1";
// The state file nests bodies two levels deeper than a request; give it room.
const FILE_MAX_DEPTH = 64;

export class StateFileError extends Error {}

export function readStateFile(file: string): InitialState {
  let doc;
  try {
    doc = parseJson(readFileSync(file, "utf8"), FILE_MAX_DEPTH);
  } catch (e) {
    throw new StateFileError(`${file} cannot be read as JSON: ${(e as Error).message}`);
  }
  const seed = isObject(doc) && typeof doc["signingKeySeed"] === "string" ? decodeStd(doc["signingKeySeed"]) : null;
  if (!isObject(doc) || doc["format"] !== FORMAT || seed === null || seed.length !== 32 || !isObject(doc["repos"])) {
    throw new StateFileError(`${file} is not an ${FORMAT} state file`);
  }
  const stored = doc["repos"];
  const repos = Object.keys(stored).map((id) => {
    const r = stored[id];
    if (!isObject(r) || !isObject(r["manifest"]) || !isObject(r["envelope"]) || !Array.isArray(r["manifest"]["members"])) {
      throw new StateFileError(`${file}: repository entry is malformed`);
    }
    const members = (r["manifest"] as Manifest).members.map((m) => m.ed25519PublicKey);
    return { id, manifest: stringify(r["manifest"]), envelope: stringify(r["envelope"]), members };
  });
  return { seed, repos };
}
