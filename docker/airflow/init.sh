#!/usr/bin/env bash
# airflow-init: prepare Airflow for spotify_etl. Every step is safe to repeat on each `up`.
set -euo pipefail

echo "Migrating the Airflow metadata database"
airflow db migrate

pools=/opt/airflow/project/docker/airflow/pools.json
echo "Pools from ${pools}"
airflow pools import "${pools}" >/dev/null
if [ -n "${SPOTIFY_API_POOL_SLOTS:-}" ]; then
    echo "Pool spotify_api: ${SPOTIFY_API_POOL_SLOTS} slots (SPOTIFY_API_POOL_SLOTS)"
    description=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["spotify_api"]["description"])' "${pools}")
    airflow pools set spotify_api "${SPOTIFY_API_POOL_SLOTS}" "${description}" >/dev/null
fi

echo "Connection mongo_default -> ${MONGO_HOST}:27017 as ${MONGO_APP_USERNAME}"
# Built with json.dumps so that any password survives; never echoed.
connection=$(python - <<'PY'
import json, os
print(json.dumps({
    "conn_type": "mongo", "host": os.environ["MONGO_HOST"], "port": 27017,
    "login": os.environ["MONGO_APP_USERNAME"], "password": os.environ["MONGO_APP_PASSWORD"],
    "schema": os.environ.get("SPOTIFY_ETL_DATABASE", "spotify_etl"),
    "extra": {"authSource": "admin"},
}))
PY
)
airflow connections delete mongo_default >/dev/null 2>&1 || true
airflow connections add mongo_default --conn-json "${connection}" >/dev/null

if airflow users list --output json 2>/dev/null | python -c '
import json, os, sys
names = {user["username"] for user in json.load(sys.stdin)}
sys.exit(0 if os.environ["AIRFLOW_ADMIN_USERNAME"] in names else 1)'; then
    echo "Admin user ${AIRFLOW_ADMIN_USERNAME} exists (change its password in the UI)"
else
    echo "Creating admin user ${AIRFLOW_ADMIN_USERNAME}"
    airflow users create --role Admin --username "${AIRFLOW_ADMIN_USERNAME}" \
        --password "${AIRFLOW_ADMIN_PASSWORD}" --firstname Airflow --lastname Admin \
        --email "${AIRFLOW_ADMIN_USERNAME}@localhost" >/dev/null
fi
echo "Airflow is ready for spotify_etl"
