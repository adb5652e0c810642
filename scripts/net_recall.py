"""Warning and voice recall of the recall net alone over a corpus (no model needed).

    python scripts/net_recall.py ../shared/corpus/dev.jsonl

A brief's warnings are exactly the net's (minus withheld text) and every speaker the net names
is heard, so these are the brief's recall figures by the definitions in docs/eval.md; the
denominators are the net's own cue sentences (see that page for what they include).
"""
import sys
import json
from summarizer.brief import net, injection
from summarizer.brief.sentences import split
rows=[json.loads(l) for l in open(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpus/dev.jsonl")]
cues=caught=spk=heard=0; nw=nv=0
for r in rows:
    ss=split(r["text"]); f=net.find(ss)
    withheld={s.number for s,_ in injection.scan(ss)}
    w={c.sentence.number for c in f.warnings if c.sentence.number not in withheld}
    c=[s for s in ss if net.is_warning(s.text)]
    cues+=len(c); caught+=sum(s.number in w for s in c)
    speakers={net._actor_key(a) for a in f.speakers.values()}
    voiced={net._actor_key(x.actor) for x in f.voices+f.warnings}
    spk+=len(speakers); heard+=len(speakers & voiced)
    nw+=len(f.warnings); nv+=len(f.voices)
print(f"articles {len(rows)} warning cues {cues} caught {caught} = {caught/cues:.1%}; speakers {spk} heard {heard} = {heard/spk:.1%}; warnings/article {nw/len(rows):.2f} voices/article {nv/len(rows):.2f}")
