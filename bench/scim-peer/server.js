// The baseline SCIM server of bench/scim.sh (DESIGN §7): scimmy's Users resource kept in
// memory, served by scimmy-routers on express. Usage: node server.js PORT TOKEN
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";
import {randomUUID} from "node:crypto";

const [port, token] = process.argv.slice(2);
const users = new Map();

SCIMMY.Resources.declare(SCIMMY.Resources.User)
  .ingress((resource, instance) => {
    const id = resource.id ?? randomUUID();
    if (!resource.id) {
      for (const u of users.values()) {
        if (u.userName.toLowerCase() === instance.userName.toLowerCase()) {
          throw new SCIMMY.Types.Error(409, "uniqueness", "userName is taken");
        }
      }
    }
    const stored = {...instance, id, meta: {created: new Date(), lastModified: new Date()}};
    users.set(id, stored);
    return stored;
  })
  .egress((resource) => {
    if (resource.id) return users.get(resource.id) ?? null;
    const all = [...users.values()];
    return resource.filter ? resource.filter.match(all) : all;
  })
  .degress((resource) => { users.delete(resource.id); });

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
  type: "bearer",
  docUri: "https://example.com/auth",
  handler: (request) => {
    if (request.header("Authorization") !== `Bearer ${token}`) throw new Error("bad token");
    return "bench";
  },
}));
const server = app.listen(Number(port), "127.0.0.1", () => console.log(`PORT ${server.address().port}`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
