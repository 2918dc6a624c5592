"""The rule catalogue on real stacks: where each rule fires in ../shared/corpus, and why.

The corpus is linted the way its owners deploy it: ``coopcloud/<recipe>`` and
``history/<recipe>/<version>`` as recipes (the corpus has no .env, so each recipe's file
set is compose.yml alone; a .env.sample with TYPE= makes the coopcloud/ ones Co-op Cloud
recipes, the history/ snapshots have none), and every file under ``swarm/`` on its own.
Each expected (target, service) pair carries the reason it holds, read from the file.
"""

from __future__ import annotations

import pathlib
from collections import defaultdict

import pytest

from compose_policy.engine import LintOptions, lint_paths
from compose_policy.registry import all_rules
from compose_policy.stack import LoadOptions

pytestmark = pytest.mark.corpus

SWARM = "swarm/"
FOODSHARING = ["coopcloud/foodsharing-cms", "history/foodsharing-cms/commit-0479ec39aecb",
               "history/foodsharing-cms/commit-671df3fdb066", "history/foodsharing-cms/v1.0.1",
               "history/foodsharing-cms/v1.0.2", "history/foodsharing-cms/v1.0.3"]
DOCS = ["coopcloud/docs.coopcloud.tech", "history/docs.coopcloud.tech/commit-b367d93e85bc",
        "history/docs.coopcloud.tech/commit-cd8dda3f69c4"]
TRAEFIK = ["coopcloud/traefik-ahdinosaur", "history/traefik-ahdinosaur/commit-d9680282163c"]
LEMP = [("coopcloud/lemp", "app"), ("history/lemp/commit-87a4d92a1b60", "app"),
        ("history/lemp/commit-afa9601a2f4a", "backend")]
ATSEA = ["swarm/AR-ORG+atsea/docker-stack.yml", "swarm/dockersamples+atsea-sample-shop-app/docker-stack.yml"]
VOTING = "swarm/BretFisher+udemy-docker-mastery/example-voting-app/answer/example-voting-app-stack.yml"
SPRING = "swarm/islanderrrrr+docker-swarm-springboot-demo/docker-stack.yml"
SPRING_SERVICES = ["config-server", "eureka-server", "gateway-service", "order-service", "user-service"]
LOKI = ["swarm/swarmlibs+logstack/docker-stack.yml", "swarm/swarmlibs+logstack/grafana-loki/docker-stack.tmpl.yml",
        "swarm/swarmlibs+logstack/grafana-loki/docker-stack.yml"]
INGRESS_TRAEFIK = ["swarm/swarmlibs+traefik-ingress/docker-stack.yml",
                   "swarm/swarmlibs+traefik-ingress/traefik/docker-stack.tmpl.yml",
                   "swarm/swarmlibs+traefik-ingress/traefik/docker-stack.yml"]
VAULT = [("swarm/swarmlibs+hashicorp-vault-stack/vault-proxy.yml", "proxy"),
         ("swarm/swarmlibs+hashicorp-vault-stack/vault-server.yml", "server"),
         ("swarm/swarmlibs+hashicorp-vault-stack/vault-telemetry.yml", "telemetry")]
JACKIE = "swarm/JackieTreeh0rn+Docker-Swarm-Stacks/Orchestration/traefik+cloudflared+oauth/docker-stack-compose.yml"
TONY = "swarm/tony-defa+swarm-cluster/"
KCONDE = "swarm/kconde2+docker-swarm-deploy-zero-downtime/docker-compose.yml"
PHANIAMT = "swarm/phaniamt+docker-swarm/docker-compose.yml"
Q2A = "swarm/ruanbekker+docker-swarm-apps/question2answer/docker-compose.yml"
SEARCHINDEX = "swarm/ruanbekker+docker-swarm-apps/traefik/app-compose.yml"
SAMPLE = "swarm/tanngoc93+swarm-stackhouse/swarm-stack-sample/sample-stack.yml"
SCRMPKR = "swarm/3makkk+scrmpkr/docker-stack.yml"
MAIL = "swarm/plavc+docker/mail/docker-compose.yml"


def each(targets, service, reason):
    return {(t, service): reason for t in targets}


EXPECTED = {
    "CP101": {},  # no memory-heavy service updates start-first anywhere in the corpus
    "CP102": {},  # no database updates start-first; foodsharing-cms's /data volume is an app's, not a database's
    "CP103": {
        ("swarm/Erova-Energy+aws-ecr-proxy/docker-compose.yml", "ecr-proxy"):
            "global, order: start-first, port 5000 published with mode: host",
    },
    "CP120": {},  # no overlay in the corpus re-sets a healthcheck test or a constraint of its base
    "CP104": {},  # no start-first service reserves 2G+ or sits at max_replicas_per_node
    "CP105": {
        **each(DOCS, "app", "start-first + rollback, curl healthcheck, no reservation, image not heavy"),
        **each(FOODSHARING, "app", "start-first + rollback, no reservation, light CMS, start_period 10s"),
        **{key: "start-first + rollback on php-fpm, no reservation" for key in LEMP},
        **each(TRAEFIK, "app", "start-first + rollback on traefik, start_period 1m < 2m, no reservation"),
        (SCRMPKR, "frontend"): "start-first + rollback, monitor 60s, no resources at all",
        (VOTING, "vote"): "start-first + rollback, no resources",
        (KCONDE, "frontend"): "start-first + rollback, 4 replicas, no resources",
        (PHANIAMT, "nginx"): "nginx:1.19 start-first + rollback, no resources",
        (Q2A, "q2aweb"): "start-first + rollback, no resources",
        **each(INGRESS_TRAEFIK, "traefik", "traefik:3.0 start-first + rollback, no reservation"),
        (SAMPLE, "web"): "start-first + rollback, no resources",
    },
    "CP110": {
        **{key: "rollback, healthcheck only commented out / absent" for key in LEMP},
        (SCRMPKR, "server"): "stop-first + rollback, no healthcheck",
        (SCRMPKR, "frontend"): "start-first + rollback, no healthcheck",
        **each(ATSEA, "appserver", "rollback, no healthcheck"),
        **each(ATSEA, "visualizer", "rollback, no healthcheck"),
        **each(ATSEA, "payment_gateway", "rollback, no healthcheck"),
        ("swarm/Bombalaka+SwarmApp/docker-compose.swarm.yml", "swarmapp"): "rollback, no healthcheck",
        ("swarm/RafaelQSantos-RQS+minio-swarm/docker-stack.yaml", "minio"): "rollback, no healthcheck",
        ("swarm/YouMightNotNeedKubernetes+etcd/docker-compose.yml", "etcd"): "rollback, monitor 60s, no healthcheck",
        ("swarm/YouMightNotNeedKubernetes+minio/docker-compose.yml", "ingress"): "rollback via x- anchor, no healthcheck",
        ("swarm/YouMightNotNeedKubernetes+minio/docker-compose.yml", "minio"): "rollback via x- anchor, no healthcheck",
        ("swarm/YouMightNotNeedKubernetes+rabbitmq/docker-compose.yml", "rabbitmq"): "rollback, no healthcheck",
        ("swarm/andreineustroev+stolon-swarm-cluster/docker-compose-pg.yml", "proxy"): "rollback, no healthcheck",
        ("swarm/andreineustroev+stolon-swarm-cluster/docker-compose-pg.yml", "sentinel"): "pause, no healthcheck",
        ("swarm/heyvaldemar+gitlab-traefik-ssl-certificate-docker-swarm/gitlab-traefik-ssl-certificate-docker-swarm.yml",
         "gitlab"): "rollback, no healthcheck (gitlab-ee's image HEALTHCHECK is invisible here)",
        ("swarm/kkrolikowski+percona-swarm-stack/docker-compose.yml", "discovery"): "rollback, no healthcheck",
        (MAIL, "mail"): "start-first + rollback, no healthcheck",
        (Q2A, "q2aweb"): "start-first + rollback, no healthcheck",
        **{key: "pause with monitor 120s, no healthcheck" for key in VAULT},
    },
    "CP111": {
        **each(DOCS, "app", "rollback, interval 10s x 10 + 10s = 110s > default monitor 5s"),
        **each(FOODSHARING, "app", "rollback, 15s x 3 + 3s = 48s > 5s"),
        **each(TRAEFIK, "app", "rollback, 30s x 10 + 10s = 310s > 5s"),
        ("swarm/ABCMilioli+spark-course-community/docker-stack.yml", "app"): "rollback, 30s x 3 + 10s > 5s",
        (VOTING, "db"): "rollback, 5s x 3 + 5s = 20s > 5s",
        (VOTING, "redis"): "rollback, 5s x 3 + 5s = 20s > 5s",
        (VOTING, "vote"): "rollback, 5s x 3 + 5s = 20s > 5s",
        **{(SPRING, s): "rollback, 30s x 5 + 10s = 160s > 5s" for s in SPRING_SERVICES},
        ("swarm/jakubhajek+traefik-swarm/stack-app.yml", "frontend"): "rollback, 3s x 3 + 1s = 10s > 5s (backend: 3s x 1 + 1s fits)",
        (KCONDE, "frontend"): "rollback, test only: docker defaults 30s x 3 + 30s = 120s > 5s",
        (PHANIAMT, "nginx"): "rollback, test only: docker defaults 120s > 5s",
        (SEARCHINDEX, "blog-searchindex"): "rollback, 30s x 3 + 3s = 93s > 5s",
        **each(LOKI, "grafana-loki", "rollback, 30s x 3 + 10s = 100s > monitor 15s"),
        (SAMPLE, "web"): "rollback, 30s x 3 + 10s = 100s > monitor 10s",
    },
    "CP112": {
        **each(DOCS + FOODSHARING + TRAEFIK, "app", "start-first + rollback, no rollback_config"),
        **{key: "start-first + rollback, no rollback_config" for key in LEMP},
        (SCRMPKR, "server"): "rollback, no rollback_config",
        (SCRMPKR, "frontend"): "rollback, no rollback_config",
        ("swarm/ABCMilioli+spark-course-community/docker-stack.yml", "app"): "rollback, no rollback_config",
        **each(ATSEA, "appserver", "rollback, no rollback_config"),
        **each(ATSEA, "visualizer", "rollback, no rollback_config"),
        **each(ATSEA, "payment_gateway", "rollback, no rollback_config"),
        (VOTING, "db"): "rollback, no rollback_config",
        (VOTING, "redis"): "rollback, no rollback_config",
        (VOTING, "vote"): "rollback, no rollback_config",
        ("swarm/RafaelQSantos-RQS+minio-swarm/docker-stack.yaml", "minio"): "rollback, no rollback_config",
        ("swarm/andreineustroev+stolon-swarm-cluster/docker-compose-pg.yml", "proxy"): "rollback, no rollback_config",
        ("swarm/heyvaldemar+gitlab-traefik-ssl-certificate-docker-swarm/gitlab-traefik-ssl-certificate-docker-swarm.yml",
         "gitlab"): "rollback, no rollback_config",
        **{(SPRING, s): "rollback, no rollback_config" for s in SPRING_SERVICES},
        ("swarm/jakubhajek+traefik-swarm/stack-app.yml", "backend"): "rollback, no rollback_config",
        ("swarm/jakubhajek+traefik-swarm/stack-app.yml", "frontend"): "rollback, no rollback_config",
        ("swarm/kkrolikowski+percona-swarm-stack/docker-compose.yml", "discovery"): "rollback, no rollback_config",
        (MAIL, "mail"): "rollback, no rollback_config",
        (Q2A, "q2aweb"): "rollback, no rollback_config",
        (SEARCHINDEX, "blog-searchindex"): "rollback, no rollback_config",
        (SAMPLE, "web"): "rollback, no rollback_config",
    },
    "CP113": each(LOKI, "grafana-loki", "rollback_config.failure_action: rollback"),
    "CP114": {
        (KCONDE, "frontend"): "replicas 4, rollback_config.parallelism: 0 with stop-first",
        (PHANIAMT, "nginx"): "replicas 4, rollback_config.parallelism: 0 with stop-first",
    },
    "CP115": {},  # ratios in the corpus are 0 to 0.55
    "CP116": {},  # continue appears only in rollback_config (swarmlibs traefik-ingress)
    "CP117": {
        ("swarm/137andCo+opusheart/docker-stack.yml", "server"): "start-first, no failure_action",
        ("swarm/AdrielFerr+parlamentares/docker-stack.yml", "app"): "start-first, no failure_action",
        ("swarm/CADLAB-io+CADLAB.io-swarm-stack/stack-external-git.yml", "cadlab"): "global start-first, no failure_action",
        ("swarm/CADLAB-io+CADLAB.io-swarm-stack/stack.yml", "cadlab"): "global start-first, no failure_action",
        ("swarm/Erova-Energy+aws-ecr-proxy/docker-compose.yml", "ecr-proxy"): "start-first, no failure_action",
        (JACKIE, "cf-tunnel"): "start-first, monitor 20s, no failure_action",
        (JACKIE, "error-pages"): "start-first, monitor 10s, no failure_action",
        (JACKIE, "reverse-proxy"): "start-first, no failure_action",
        (TONY + "system/traefik.yml", "reverse-proxy"): "start-first, no failure_action",
    },
    "CP118": {
        ("swarm/ABCMilioli+spark-course-community/docker-stack.yml", "app"): "delay 10s, default monitor 5s, rollback",
        ("swarm/Bombalaka+SwarmApp/docker-compose.swarm.yml", "swarmapp"): "delay 10s >= 5s, rollback",
        ("swarm/RafaelQSantos-RQS+minio-swarm/docker-stack.yaml", "minio"): "delay 10s >= 5s, rollback",
        ("swarm/YouMightNotNeedKubernetes+minio/docker-compose.yml", "ingress"): "delay 30s >= 5s, rollback",
        ("swarm/YouMightNotNeedKubernetes+minio/docker-compose.yml", "minio"): "delay 30s >= 5s, rollback",
        ("swarm/YouMightNotNeedKubernetes+rabbitmq/docker-compose.yml", "rabbitmq"): "delay 30s >= 5s, rollback",
        ("swarm/andreineustroev+stolon-swarm-cluster/docker-compose-pg.yml", "proxy"): "delay 30s >= 5s, rollback",
        ("swarm/andreineustroev+stolon-swarm-cluster/docker-compose-pg.yml", "sentinel"): "delay 30s >= 5s, pause",
        ("swarm/heyvaldemar+gitlab-traefik-ssl-certificate-docker-swarm/gitlab-traefik-ssl-certificate-docker-swarm.yml",
         "gitlab"): "delay 15s >= monitor 10s, rollback",
        **{(SPRING, s): "delay 10s >= 5s, rollback" for s in SPRING_SERVICES},
        ("swarm/jakubhajek+traefik-swarm/stack-app.yml", "backend"): "delay 5s == default monitor 5s, rollback",
        ("swarm/jakubhajek+traefik-swarm/stack-app.yml", "frontend"): "delay 10s >= 5s, rollback",
        (KCONDE, "frontend"): "delay 10s >= 5s, rollback",
        ("swarm/kkrolikowski+percona-swarm-stack/docker-compose.yml", "discovery"): "delay 30s >= 5s, rollback",
        (PHANIAMT, "nginx"): "delay 10s >= 5s, rollback",
        (MAIL, "mail"): "delay 10s >= 5s, rollback",
        (Q2A, "q2aweb"): "delay 30s >= 5s, rollback",
        (SEARCHINDEX, "blog-searchindex"): "delay 70s >= 5s, rollback",
        **each(LOKI, "grafana-loki", "delay 30s >= monitor 15s, rollback"),
        (SAMPLE, "web"): "delay 10s == monitor 10s, rollback",
    },
    "CP119": {},  # every update_config / healthcheck value in the corpus is valid
    "CP201": {},  # no interpolated duration (bonfire's comments say why they avoid them)
    "CP202": {
        ("coopcloud/abramon", "app"): "deploy labels have coop-cloud.${STACK_NAME}.app=true but no .version",
        ("coopcloud/agora", "app"): "coop-cloud.${STACK_NAME}.version= is empty",
        ("coopcloud/go-ssb-room", "app"): "only the older coop-cloud.${STACK_NAME}.app.version label",
        ("coopcloud/lemp", "app"): "only the older coop-cloud.${STACK_NAME}.app.version label",
        ("coopcloud/traefik-ahdinosaur", "app"): "only the older coop-cloud.${STACK_NAME}.app.version label",
    },
    "CP203": {
        ("coopcloud/bonfire", "app"): "timeout ${TIMEOUT:-300} < 15s + 11 x 30s + 10s + stop grace 10s + 5s = 370s",
        ("coopcloud/foodsharing-cms", "app"): "default 50s < 10s + 4 x 15s + 3s + 5s = 78s (start-first)",
        ("coopcloud/traefik-ahdinosaur", "app"): "default 50s < 1m + 11 x 30s + 10s + 5s = 405s (start-first)",
    },
    "CP204": {
        **each(DOCS, "app", "image ...:latest, update_config set"),
        ("coopcloud/gaseous", "app"): "recipe image gaseousgames/gaseousserver:latest",
        ("coopcloud/gaseous", "db"): "recipe image mariadb, no tag",
        ("swarm/137andCo+opusheart/docker-stack.yml", "server"): "tag ${TAG:?...}, no default",
        (SCRMPKR, "server"): "tag ${IMAGE_TAG}, no default",
        (SCRMPKR, "frontend"): "tag ${IMAGE_TAG:-latest} defaults to latest",
        **each(ATSEA, "appserver", "dockersamples/atsea_app, no tag"),
        **each(ATSEA, "payment_gateway", "dockersamples/atseasampleshopapp_payment_gateway, no tag"),
        ("swarm/AdrielFerr+parlamentares/docker-stack.yml", "app"): ":latest",
        ("swarm/AlejandroTechFlap+autopilot-crm/docker-stack.yml", "app"): ":latest",
        ("swarm/AlessVett+whiteout-survival-bot/docker-stack.yml", "api-gateway"): ":latest",
        (VOTING, "redis"): "redis, no tag",
        (VOTING, "vote"): "bretfisher/examplevotingapp_vote, no tag",
        ("swarm/BretFisher+udemy-docker-mastery/swarm-stack-1/example-voting-app-stack.yml", "result"): "no tag",
        ("swarm/BretFisher+udemy-docker-mastery/swarm-stack-1/example-voting-app-stack.yml", "vote"): "no tag",
        **{("swarm/EdamH+MERN-SLACK-CLONE-CICD-DOCKER-SWARM/env-dev/docker-compose.prod.yml", s): ":latest"
           for s in ("nginx", "supspace-api", "supspace-client")},
        ("swarm/JackieTreeh0rn+Docker-Swarm-Stacks/Orchestration/pihole-DNS+Nebula-Synching/docker-stack-compose.yml",
         "nebula-sync"): ":latest",
        (JACKIE, "cf-tunnel"): "cloudflare/cloudflared, no tag",
        (JACKIE, "error-pages"): "tarampampam/error-pages, no tag",
        ("swarm/RafaelQSantos-RQS+minio-swarm/docker-stack.yaml", "minio"): ":latest",
        ("swarm/YouMightNotNeedKubernetes+etcd/docker-compose.yml", "etcd"): "tag ${ETCD_VERSION:?...}, no default",
        ("swarm/YouMightNotNeedKubernetes+minio/docker-compose.yml", "minio"): "minio/minio:latest",
        **{(SPRING, s): ":latest" for s in SPRING_SERVICES},
        ("swarm/jakubhajek+traefik-swarm/stack-app.yml", "backend"): ":latest",
        (KCONDE, "frontend"): "localhost:5000/docker-zero-downtime-deployment, no tag",
        ("swarm/kkrolikowski+percona-swarm-stack/docker-compose.yml", "discovery"): "splazit/etcd-swarm, no tag",
        (MAIL, "mail"): "djfarrelly/maildev, no tag",
        ("swarm/ruanbekker+docker-swarm-apps/ghost-armhf/docker-compose.yml", "hypriot_web"): "no tag",
        ("swarm/ruanbekker+docker-swarm-apps/mediawiki/docker-compose.yml", "mediawiki"): "mediawiki, no tag",
        (Q2A, "q2aweb"): "disrvptor/question2answer, no tag",
        ("swarm/ruanbekker+docker-swarm-apps/traefik/traefik-ssl-compose.yml", "proxy"): "traefik:latest",
        **{key: "hashicorp/vault:latest" for key in VAULT},
        (SAMPLE, "web"): "exampleorg/myapp:latest",
        **{(TONY + path, s): f"tag ${{{var}}}, no default" for path, s, var in [
            ("apps/elasticsearch/elasticsearch.yml", "elasticsearch", "ELASTICSEARCH_TAG"),
            ("apps/elasticsearch/elasticsearch.yml", "kibana", "KIBANA_TAG"),
            ("apps/logrotate/logrotate.yml", "logrotate", "TAG"),
            ("apps/mantisbt/mantisbt.yml", "db", "MARIADB_TAG"),
            ("apps/mantisbt/mantisbt.yml", "mantisbt", "MANTISBT_TAG"),
            ("apps/mariadb-ha/mariadb.yml", "db", "MARIADB_TAG"),
            ("apps/mariadb-ha/mariadb.yml", "slave", "MARIADB_TAG"),
            ("apps/mariadb-ha/mariadb.yml", "slave-init", "MARIADB_TAG"),
            ("apps/mariadb/mariadb.yml", "db", "MARIADB_TAG"),
            ("apps/metabase/metabase.yml", "metabase", "METABASE_TAG"),
            ("apps/mongodb/mongodb.yml", "mongodb", "MONGO_TAG"),
            ("apps/n8n/n8n.yml", "n8n", "N8N_TAG"),
            ("apps/nextcloud/nextcloud.yml", "nextcloud", "NEXTCLOUD_TAG"),
            ("apps/redis/redis.yml", "insight", "INSIGHT_TAG"),
            ("apps/redis/redis.yml", "redis", "REDIS_TAG"),
            ("apps/wordpress-ha/wordpress.yml", "db", "MARIADB_TAG"),
            ("apps/wordpress-ha/wordpress.yml", "db-slave", "MARIADB_TAG"),
            ("system/traefik.yml", "reverse-proxy", "TRAEFIK_TAG"),
        ]},
        ("swarm/vfarcic+docker-flow-proxy/stack.yml", "proxy"): "dockerflow/docker-flow-proxy:latest",
    },
}


def target_of(corpus: pathlib.Path, path: str) -> str:
    """coopcloud/<recipe>, history/<recipe>/<version>, or the swarm file's own path."""
    parts = pathlib.Path(path).resolve().relative_to(corpus.resolve()).parts
    if parts[0] == "coopcloud":
        return "/".join(parts[:2])
    if parts[0] == "history":
        return "/".join(parts[:3])
    return "/".join(parts)


@pytest.fixture(scope="module")
def fired(corpus):
    roots = [corpus / "coopcloud", *sorted((corpus / "history").iterdir()), corpus / "swarm"]
    result = lint_paths([str(r) for r in roots], LintOptions())
    by_rule = defaultdict(set)
    for finding in result.findings:
        by_rule[finding.rule].add((target_of(corpus, finding.path), finding.service))
    return by_rule


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_rule_fires_exactly_where_expected(fired, code):
    got = fired.get(code, set())
    want = set(EXPECTED[code])
    assert got == want, f"unexpected: {sorted(got - want, key=str)}\nmissing: {sorted(want - got, key=str)}"


def test_every_catalogue_rule_has_corpus_expectations():
    codes = {c for c, r in all_rules().items() if c[:3] in ("CP1", "CP2") and not r.reported_by_engine}
    assert codes <= set(EXPECTED), f"no corpus expectation for {sorted(codes - set(EXPECTED))}"


def _lint_recipe(path, files=()):
    result = lint_paths([str(path)], LintOptions(load=LoadOptions(compose_files=list(files))))
    return {(f.rule, f.service) for f in result.findings}


def test_host_overlay_of_the_traefik_recipe_switches_to_stop_first(corpus):
    """compose.host.yml pairs its host-mode ports with stop-first: the start-first findings go."""
    recipe = corpus / "coopcloud" / "traefik-ahdinosaur"
    base = _lint_recipe(recipe)
    with_host = _lint_recipe(recipe, ["compose.yml", "compose.host.yml"])
    assert ("CP105", "app") in base and ("CP105", "app") not in with_host
    assert ("CP103", "app") not in with_host  # host ports, but stop-first
    assert ("CP111", "app") in with_host  # rollback with a 5s monitor stays
