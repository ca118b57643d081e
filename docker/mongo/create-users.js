// Create or update spotify_etl's MongoDB users; safe to run again (docker compose runs it on
// every `up` as the mongodb-init service).
//   application user (MONGO_APP_USERNAME): readWrite and dbAdmin on the app database, for
//     Airflow and the authorization helper (dbAdmin: the pipeline keeps its own schema
//     validators and the analysts' views up to date with collMod).
//   analyst user (MONGO_ANALYST_USERNAME): read-only through the role spotifyEtlAnalyst: find on
//     every collection and view of the app database except `tokens` (encrypted refresh tokens),
//     `api_tokens` (API token hashes), `concert_places` and `concert_bins` (people's homes).
//     MongoDB has no "all but one collection" privilege, so the role names each collection; it
//     is refreshed with the collections and views that exist each time this script runs.
// Run by hand: mongosh --nodb --quiet docker/mongo/create-users.js (with the variables below).

const env = process.env;
const host = env.MONGO_HOST || "mongodb";
const appDbName = env.SPOTIFY_ETL_DATABASE || "spotify_etl";
const rootUri = `mongodb://${encodeURIComponent(env.MONGO_ROOT_USERNAME || "root")}:` +
  `${encodeURIComponent(env.MONGO_ROOT_PASSWORD)}@${host}:27017/admin?authSource=admin`;
const admin = connect(rootUri);  // from the environment, so no password is on a command line
const appDb = admin.getSiblingDB(appDbName);

// Collections and views the project creates (data-model.md, queries.md); more are picked up
// from the database itself.
const KNOWN = [
  "users", "artists", "albums", "tracks", "top_items", "plays", "runs",
  "diffs", "mixes", "groups", "taste_twins",
  "concerts", "concert_lookups", "concert_matches",
  "latest_top_items", "artist_leaderboard", "genre_share_weekly",
];
const HIDDEN = ["tokens", "api_tokens", "concert_places", "concert_bins"];

function upsertUser(name, password, roles) {
  if (!password) throw new Error(`No password for MongoDB user ${name}`);
  if (admin.getUser(name)) {
    admin.updateUser(name, { pwd: password, roles: roles });
    print(`Updated user ${name}`);
  } else {
    admin.createUser({ user: name, pwd: password, roles: roles });
    print(`Created user ${name}`);
  }
}

function upsertRole(name, privileges) {
  if (admin.getRole(name)) {
    admin.updateRole(name, { privileges: privileges, roles: [] });
  } else {
    admin.createRole({ role: name, privileges: privileges, roles: [] });
  }
}

const present = appDb.getCollectionNames().filter((name) => !name.startsWith("system."));
const readable = [...new Set([...KNOWN, ...present])]
  .filter((name) => !HIDDEN.includes(name)).sort();
upsertRole("spotifyEtlAnalyst", [
  { resource: { db: appDbName, collection: "" }, actions: ["listCollections", "dbStats"] },
  ...readable.map((collection) => ({
    resource: { db: appDbName, collection: collection },
    actions: ["find", "listIndexes", "collStats"],
  })),
]);
print(`Role spotifyEtlAnalyst reads ${readable.length} collections and views, not ${HIDDEN}`);

upsertUser(env.MONGO_APP_USERNAME || "spotify_etl", env.MONGO_APP_PASSWORD,
  [{ role: "readWrite", db: appDbName }, { role: "dbAdmin", db: appDbName }]);
upsertUser(env.MONGO_ANALYST_USERNAME || "analyst", env.MONGO_ANALYST_PASSWORD,
  [{ role: "spotifyEtlAnalyst", db: "admin" }]);
