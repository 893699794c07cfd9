// One version for the server and the actor; keep in step with package.json.
export const VERSION = "0.1.0";
