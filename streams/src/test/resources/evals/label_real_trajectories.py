#!/usr/bin/env python3
"""Labels the real per-checkpoint eval trajectories of ../shared/data/evals for runwatch's evaluation.

Run from the repository root: python3 streams/src/test/resources/evals/label_real_trajectories.py
Writes real-trajectory-labels.tsv next to this script. Hindsight criteria (whole trajectory, centred
smoothing), deliberately unlike the online detector:
  sigma  = max(binomial SE (reported stderr, else sqrt(p(1-p)/n) at the mean), robust spread of the
           trajectory around the line through each point's neighbours (1.4826 * median |residual|))
  smooth = centred 5-checkpoint median of the oriented score (losses negated, perplexity -log)
  at_chance         the benchmark's no-skill range is known and every smoothed score lies within
                    [low - 3 sigma, high + 3 sigma]: never clearly above chance
  sustained_decline not at chance; the smoothed score falls >= 4 sigma below its running maximum, stays
                    >= 3 sigma below for >= 4 consecutive checkpoints, and that maximum was >= 3 sigma
                    above chance (or the metric has no chance level)
  transient_drop    neither; some checkpoint lies >= 5 sigma below the smoothed score there, which was
                    >= 3 sigma above chance (a dip the smoothing hides: bad checkpoint or training event)
  smooth_monotone   none of these; Kendall tau (oriented) >= 0.7, the smoothed score never falls more than
                    2 sigma below its running maximum and no checkpoint lies > 3 sigma below it
  other             the rest (noisy, plateaued, small dips)
The four OLMo-2 ladder 190M and 1B runs of one config are also merged into one run with four seeds.
"""
import collections, glob, json, math, os, statistics

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', '..', '..', '..', '..', '..', 'shared', 'data', 'evals')
LOWER = ('ppl', 'bpb', 'ce_loss')
# (prefixes, low, high) as in BenchmarkCatalog
CHANCE = [(('arc_challenge', 'arc_easy', 'mmlu', 'hendrycks', 'sciq', 'openbookqa', 'headqa', 'race', 'logiqa',
            'hellaswag', 'prost'), .25, .25), (('mathqa', 'csqa'), .2, .2), (('socialiqa',), 1 / 3, 1 / 3),
          (('piqa', 'winogrande', 'copa', 'qnli', 'wic'), .5, .5), (('wsc',), .365, .635),
          (('boolq',), .378, .622), (('lambada', 'triviaqa', 'webqs'), 0, 0), (('pubmedqa',), .11, .552),
          (('mrpc',), .316, .684), (('qqp',), .368, .632), (('rte',), .473, .527), (('sst',), .491, .509),
          (('wnli',), .437, .563)]
SEED_GROUPS = {'olmo2-ladder_190M-1xC', 'olmo2-ladder_1B-1xC'}


def chance(benchmark):
    for prefixes, low, high in CHANCE:
        if benchmark.lower().startswith(prefixes):
            return low, high
    return None


def kendall(y):
    s = sum((y[j] > y[i]) - (y[j] < y[i]) for i in range(len(y)) for j in range(i + 1, len(y)))
    return s / (len(y) * (len(y) - 1) / 2)


def label(benchmark, metric, rows):
    by_step = collections.defaultdict(list)
    for r in rows:
        by_step[r['step']].append(r)
    steps = sorted(by_step)
    higher = metric not in LOWER
    raw = [statistics.mean(r['value'] for r in by_step[s]) for s in steps]
    y = [v if higher else (-math.log(v) if metric == 'ppl' else -v) for v in raw]
    n = len(y)
    if n < 8:
        return None
    resid = []
    for i in range(1, n - 1):
        w = (steps[i + 1] - steps[i]) / (steps[i + 1] - steps[i - 1])
        resid.append(abs(y[i] - w * y[i - 1] - (1 - w) * y[i + 1]) / math.sqrt(1 + w * w + (1 - w) ** 2))
    sigma = 1.4826 * statistics.median(resid)
    stderrs = [r['stderr'] for r in rows if r.get('stderr')]
    if stderrs and metric != 'ppl':
        sigma = max(sigma, statistics.mean(stderrs))
    elif higher and rows[0].get('n'):
        p = statistics.mean(raw)
        sigma = max(sigma, math.sqrt(max(p * (1 - p), 1 / rows[0]['n']) / rows[0]['n']))
    sigma = max(sigma, 1e-9)
    smooth = [statistics.median(y[max(0, i - 2):i + 3]) for i in range(n)]
    ch = chance(benchmark) if higher else None
    if ch and all(ch[0] - 3 * sigma <= v <= ch[1] + 3 * sigma for v in smooth):
        return 'at_chance', n, sigma
    best, run_len, worst = -1e18, 0, 0
    for v in smooth:
        best = max(best, v)
        drop = (best - v) / sigma
        worst = max(worst, drop)
        had_skill = ch is None or best >= ch[1] + 3 * sigma
        run_len = run_len + 1 if drop >= 3 and had_skill else 0
        if run_len >= 4 and worst >= 4:
            return 'sustained_decline', n, sigma
    dips = [(smooth[i] - y[i]) / sigma for i in range(n)
            if ch is None or smooth[i] >= ch[1] + 3 * sigma]
    if dips and max(dips) >= 5:
        return 'transient_drop', n, sigma
    if kendall(y) >= 0.7 and worst <= 2 and max(dips or [0]) <= 3:
        return 'smooth_monotone', n, sigma
    return 'other', n, sigma


def main():
    trajectories = collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(DATA, '*.jsonl'))):
        for line in open(path):
            r = json.loads(line)
            trajectories[(r['run'], r['benchmark'], r['metric'])].append(r)
            group = r['run'].rsplit('_', 1)[0]
            if group in SEED_GROUPS:
                trajectories[(group + '_4seeds', r['benchmark'], r['metric'])].append(r)
    out = os.path.join(HERE, 'real-trajectory-labels.tsv')
    counts = collections.Counter()
    grouped = collections.defaultdict(list)
    for (run, benchmark, metric), rows in sorted(trajectories.items()):
        result = label(benchmark, metric, rows)
        if result:
            grouped[(run, result[0])].append(benchmark + ':' + metric)
            counts[result[0]] += 1
    with open(out, 'w') as f:
        f.write('# run<TAB>label<TAB>benchmark:metric,... (criteria and provenance: label_real_trajectories.py)\n')
        for (run, name), keys in sorted(grouped.items()):
            f.write('%s\t%s\t%s\n' % (run, name, ','.join(keys)))
    print(dict(counts))


if __name__ == '__main__':
    main()
