#!/usr/bin/env bash
# Checks the alerting config: rule syntax, the promtool unit tests, the Alertmanager config and its routing.
# Usage: alerts/check.sh   (from anywhere; exits non-zero on the first failure)
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v promtool >/dev/null || missing+=("promtool (Debian package: prometheus)")
command -v amtool >/dev/null || missing+=("amtool (Debian package: prometheus-alertmanager)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "alerts/check.sh: missing ${missing[*]}." >&2
  echo "Install with: sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager" >&2
  exit 2
fi

echo "== promtool check rules"
promtool check rules rules/*.yml

echo "== promtool test rules"
promtool test rules tests/*.yaml

echo "== promtool check config (deploy/prometheus.yml, the example a user starts from)"
promtool check config ../deploy/prometheus.yml

echo "== amtool check-config"
amtool check-config alertmanager.yml

echo "== amtool routing"
# Each severity reaches its receiver; an alert with no severity still reaches a human.
route_is() {
  local expected=$1; shift
  amtool config routes test --config.file=alertmanager.yml --verify.receivers="$expected" "$@" >/dev/null 2>&1 \
    || { echo "FAILED: labels $* should route to $expected" >&2; exit 1; }
  echo "  $* -> $expected"
}
route_is pager alertname=TrainingDivergence run=r1 severity=critical component=training
route_is pager alertname=RunwatchDown severity=critical component=monitor
route_is ticket alertname=TrainingLossSpike run=r1 severity=warning component=training
route_is null alertname=TrainingRunRewound run=r1 severity=info component=training
route_is ticket alertname=SomethingUnlabelled
route_is ticket alertname=TrainingEvalRegression run=r1 severity=warning component=eval benchmark=boolq group=reading
route_is ticket alertname=TrainingEvalCoDrop run=r1 severity=warning component=eval

echo "alerts/check.sh: all checks passed"
