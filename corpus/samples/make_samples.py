#!/usr/bin/env python3
"""Generate the opine sample op-ed corpus.

Every text below is original writing produced for this project's demo and
tests. Outlets, authors, URLs and quoted officials are fictional.
Run: python3 make_samples.py  (writes oped-samples.jsonl and .jsonl.gz here)
"""
import gzip
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

SAMPLES = [
    dict(
        title="Keep the Troops, Keep the Peace",
        outlet="Pacific Ledger",
        authors="Margaret Ellison",
        date="2019-03-12",
        slug="pacific-ledger/2019/03/keep-the-troops-keep-the-peace",
        topic="alliance",
        text="""
For nearly seven decades, the U.S.–South Korea alliance has done what few treaties manage: it has kept a war from restarting. The 28,500 troops stationed on the peninsula are not a favor Washington does for Seoul. They are a forward investment in a stable Northeast Asia, and they buy more security per dollar than almost anything else in the Pentagon’s budget.

Critics who call the relationship a bad deal don't count what the United States receives in return. South Korea covers a large share of the cost of hosting American forces, paid for most of the expansion of Camp Humphreys and fields one of the most capable militaries in the region. Withdrawing even a single brigade would signal to Pyongyang and Beijing that America’s word has an expiration date.

Joint exercises matter for the same reason. Readiness is perishable. Units that do not train together cannot fight together, and scaling back drills in exchange for vague promises only rewards the side that has never kept its promises. Extended deterrence — the pledge that an attack on Seoul will be met with the full range of American capabilities, including nuclear — is credible only if it is visibly rehearsed.

None of this means the alliance should stand still. A whole-of-alliance approach should modernize command arrangements, deepen missile-defense integration and bring Japan into closer trilateral coordination. But modernization is not retrenchment, and allies’ confidence is far easier to lose than to rebuild.

The lesson of 1950 is simple: deterrence fails when adversaries doubt our resolve. Let's not teach that lesson twice.
""",
    ),
    dict(
        title="Beijing’s Bullying Deserves a Firm Answer",
        outlet="Pacific Ledger",
        authors="Daniel Okafor and Grace Whitfield",
        date="2017-11-20",
        slug="pacific-ledger/2017/11/beijings-bullying-deserves-a-firm-answer",
        topic="china",
        text="""
When Seoul agreed to host a U.S. missile-defense battery, Beijing responded not with diplomacy but with punishment. Tour groups vanished, Korean retailers were squeezed out of Chinese cities, and concerts by Korean pop acts were quietly cancelled. The message was unmistakable: sovereign security decisions would carry an economic price.

Some in Seoul argue that the wiser course is to accommodate — to offer “three noes,” to soften statements on the South China Sea, and to hope that restraint buys goodwill. History suggests otherwise. Coercion that succeeds is coercion that repeats. Every concession teaches Beijing that pressure works, and the next demand is never far behind.

The better answer is collective. If China can isolate one democracy at a time, it wins; if allies respond together, the calculation changes. Washington and Seoul should coordinate export controls on advanced chips, diversify critical-mineral supply chains and build rapid-response funds for firms targeted by politically motivated boycotts. A 5.4% dip in exports is survivable when partners absorb part of the shock.

This is ultimately a contest between a rules-based order and the notion that might makes right. International law does not permit a large country to dictate where a smaller neighbor may place defensive radars. Korea’s leaders should say so plainly, and America’s should back them without hesitation.

Standing firm is not the same as seeking confrontation. Trade with China will continue, and it should. But a partnership that depends on silence is not a partnership at all.
""",
    ),
    dict(
        title="Pressure Is Not a Dirty Word",
        outlet="Pacific Ledger",
        authors="Margaret Ellison",
        date="2022-10-05",
        slug="pacific-ledger/2022/10/pressure-is-not-a-dirty-word",
        topic="north_korea",
        text="""
Every few years, a fresh round of optimism promises that one more summit will unlock North Korea’s nuclear program. Every few years, Pyongyang pockets the attention, tests another long-range missile and waits for the next round of concessions. We should stop pretending that this cycle is diplomacy.

Maximum pressure was never given a fair trial. Sanctions enforcement weakened within months of the first handshake, ship-to-ship transfers resumed, and North Korean laborers kept earning hard currency abroad. The U.N. Security Council resolutions on the books are strong; their implementation is not. Closing those gaps would cost far less than living with an arsenal that grows every year.

Dialogue has its place, but only as a tool of pressure, not a substitute for it. Talks should be paired with tighter financial sanctions on the networks that launder Pyongyang’s revenue, more rigorous maritime interdiction and a clear readiness to keep military options on the table. A regime that believes it will never pay a price has no reason to bargain.

The goal must remain complete denuclearization. Washington and Seoul should never accept a nuclear-armed North Korea, not as a temporary arrangement and not as a “realistic” endpoint dressed up in arms-control language. Accepting the bomb would invite Tokyo and Seoul to reconsider their own options and would unravel the nonproliferation regime far beyond Asia.

Is pressure slow? Yes. Is it costly? Sometimes. But the alternative — rewarding provocation with recognition — has been tried, and it has failed every time.
""",
    ),
    dict(
        title="Give Diplomacy the Time It Needs",
        outlet="Harbor Review",
        authors="Min-ji Arden and Thomas Reyes",
        date="2018-09-24",
        slug="harbor-review/2018/09/give-diplomacy-the-time-it-needs",
        topic="north_korea",
        text="""
The handshake in Singapore was not the end of a process; it was the beginning of one. Critics who declared the summit a failure within weeks misunderstand how peace is built on a peninsula that has lived under an armistice, not a treaty, since 1953.

Diplomacy with Pyongyang requires patience and sequencing. North Korea will not surrender its weapons in a single step, and no serious negotiator expects it to. What is achievable is a series of reciprocal moves: a freeze on testing, verified steps at Yongbyon, the opening of liaison offices and a gradual easing of restrictions on inter-Korean economic cooperation. Each step lowers the temperature and builds the trust the next one requires.

That is why Washington should not impose new sanctions while talks are under way. Fresh penalties at this stage would hand hardliners in Pyongyang the proof they need that the United States negotiates in bad faith. Mr. Moon has staked his presidency on engagement, and his government has shown that inter-Korean contact — family reunions, joint sports teams, rail surveys — can change the atmosphere in ways pressure never has.

A formal peace regime, beginning with an end-of-war declaration, would not weaken deterrence. It would give both Koreas a framework to manage disputes before they turn into crises.

The pressure years produced missile launches and talk of “fire and fury.” Engagement has produced months without a single nuclear or long-range missile test. Which record would you rather build on?
""",
    ),
    dict(
        title="Sanctions Have Reached Their Limit",
        outlet="Harbor Review",
        authors="Thomas Reyes",
        date="2021-04-08",
        slug="harbor-review/2021/04/sanctions-have-reached-their-limit",
        topic="north_korea",
        text="""
After more than a decade of escalating sanctions, it is fair to ask the policy’s defenders a simple question: what has it achieved? North Korea’s arsenal is larger than it was in 2017, its missiles fly farther, and its leadership is more isolated and, if anything, more convinced that only weapons guarantee survival.

Sanctions were meant to force a choice between the bomb and the economy. Instead, they have squeezed ordinary people far harder than the elite. Aid workers describe humanitarian exemptions that take months to process, leaving clinics without tuberculosis drugs, sterile equipment and spare parts for water pumps. A policy that cannot tell a centrifuge from a vaccine refrigerator is no longer a precise instrument.

None of this means abandoning the goal of denuclearization. It means recognizing that pressure alone won't get us there. A smarter approach would offer targeted relief — for health, agriculture and energy projects — in exchange for verifiable limits, while keeping the most important financial restrictions in place as leverage.

Cooperation on public health is the obvious starting point. The pandemic showed how quickly disease crosses borders, and a North Korean outbreak would not stay north of the DMZ. Joint vaccine programs, medical exchanges and data sharing with U.N. agencies would serve Seoul’s own interests as much as Pyongyang’s.

Engagement is not a reward; it is a method. Washington and Seoul should use it before another decade slips away.
""",
    ),
    dict(
        title="Drills Can Wait; Dialogue Cannot",
        outlet="Harbor Review",
        authors="Min-ji Arden",
        date="2019-08-02",
        slug="harbor-review/2019/08/drills-can-wait-dialogue-cannot",
        topic="alliance",
        text="""
Every year, thousands of American and South Korean troops rehearse for a war no one wants. The alliance’s defenders call these exercises essential to readiness, and in ordinary times they are right. But these are not ordinary times, and the rigid calendar of large-scale drills has become an obstacle to the very peace it is supposed to protect.

Scaling down field maneuvers is not the same as abandoning the alliance. Commanders can maintain readiness through computer-simulated command-post training, smaller unit-level drills and staff exercises that don't require bombers flying near the peninsula. The 28,500 U.S. troops in Korea would remain exactly where they are. What would change is the signal sent to Pyongyang at a delicate moment.

Extended deterrence does not depend on spectacle. North Korea already knows what the United States can do; parading strategic bombers near its airspace adds little information and a great deal of provocation. Each high-profile drill is followed by a missile launch, and each launch is followed by calls for still larger drills. Someone has to break the cycle.

The alliance should also resist framing every question in zero-sum terms. A strong alliance and a peace process are not rivals, and the most durable partnerships are those confident enough to show restraint.

Washington and Seoul have a rare chance to prove that security and diplomacy can reinforce each other. They should not waste it on a tradition that has outlived its purpose!
""",
    ),
    dict(
        title="The Alliance Can No Longer Be a Free Ride",
        outlet="Capitol Dispatch",
        authors="Rick Halvorsen",
        date="2019-11-14",
        slug="capitol-dispatch/2019/11/no-longer-a-free-ride",
        topic="alliance",
        text="""
For decades, American taxpayers have underwritten the defense of one of the richest countries in Asia. South Korea ranks among the world’s dozen largest economies and leads in semiconductors, shipbuilding and consumer electronics. Yet it still expects the United States to station 28,500 troops on its soil at a discount.

Seoul’s defenders point out that it contributes roughly $900 million a year toward the cost of American forces. That sounds generous until you compare it with what the deployment actually costs U.S. taxpayers once salaries, equipment and rotational units are counted. Meanwhile, Korean manufacturers compete head-to-head with American ones in our own markets.

An “America first” foreign policy does not mean walking away from allies. It means insisting that allies pay their fair share. The days of open-ended commitments with no accounting are over, and the alliance can no longer be a free ride for a wealthy partner. As Sen. Dale Whitcomb asked at a hearing in October 2019, why should a factory worker in Ohio subsidize the defense of a country that outsells him?

Burden-sharing talks should set clear benchmarks: a contribution of at least $1.2 billion next year, rising annually; a larger Korean share of training and logistics costs; and a timeline for Seoul to assume more of its own conventional defense. If those benchmarks are not met, Washington should be prepared to reduce its footprint.

Nobody here wants to abandon the peninsula. But an ally that won’t pay its share is an ally that doesn't take its own security seriously.
""",
    ),
    dict(
        title="Put American Workers Before Trade Diplomacy",
        outlet="Capitol Dispatch",
        authors="Rick Halvorsen and Joanne Pruitt",
        date="2018-03-27",
        slug="capitol-dispatch/2018/03/put-american-workers-before-trade-diplomacy",
        topic="trade",
        text="""
Trade agreements are supposed to benefit both sides. The U.S.–Korea free trade deal was sold to Americans as a ticket to new export markets and good jobs. Instead, the goods deficit with Korea roughly doubled in the years after it took effect in 2012, and American autoworkers watched Korean imports fill dealer lots while U.S. cars faced a maze of regulatory barriers in Seoul.

Diplomats like to say that trade and security belong in separate boxes. That is a luxury the American worker can no longer afford. When Washington spends billions to defend an ally, it is entitled to ask that ally to open its markets on equal terms. A “Korea first” trade policy paired with an American security guarantee is a bargain only one side should be happy with.

The renegotiated terms are a start. Extending the American tariff on imported pickup trucks, accepting more U.S.-standard vehicles and addressing steel overcapacity are sensible steps. But they don’t go far enough. Washington should insist on enforceable currency provisions, a clear path to balanced trade in autos and real penalties for transshipment of foreign steel through third countries.

Critics warn that hard bargaining could strain the alliance. Nonsense. A relationship strong enough to survive decades of threats from Pyongyang can survive a frank conversation about tariffs. What erodes public support for alliances is the sense that ordinary Americans pay the bills while others collect the profits.

Put American workers first, and the alliance will be stronger for it.
""",
    ),
    dict(
        title="Let Seoul Defend Itself",
        outlet="Capitol Dispatch",
        authors="Joanne Pruitt",
        date="2023-02-17",
        slug="capitol-dispatch/2023/02/let-seoul-defend-itself",
        topic="alliance",
        text="""
Seventy years after the armistice, South Korea still does not command its own forces in wartime. Under current arrangements, an American general would lead the combined command if war broke out. For a prosperous democracy of 51 million people with a modern military, that is an anomaly — and a costly one for the United States.

The transfer of wartime operational control, or OPCON, has been promised, postponed and repackaged for nearly two decades. Washington should stop treating it as a distant aspiration and set a firm date. A Korea that leads its own defense will budget, plan and train as though its survival depends on it, because it does.

The harder question is nuclear. Polls in Seoul consistently show majorities favoring an independent arsenal, and it is easy to see why. North Korea now fields missiles that can reach American cities. Would a U.S. president really risk Los Angeles to protect Seoul? Extended deterrence rests on a promise that grows less believable with every long-range test.

Washington should not stand in the way if Seoul decides it needs its own nuclear deterrent. A nuclear-capable South Korea would shoulder its own security, free thousands of U.S. troops for other missions and end the fiction that America must be the world’s permanent guarantor. Nonproliferation purists will object, but the treaty was written for a different century.

Retrenchment is not retreat. It is a recognition that strong allies should stand on their own feet. It’s time to let them!
""",
    ),
    dict(
        title="A Green Alliance for the Pacific",
        outlet="Seoul Morning Forum",
        authors="Seo Ji-hoon and Claire Martel",
        date="2021-05-24",
        slug="seoul-morning-forum/2021/05/a-green-alliance-for-the-pacific",
        topic="climate",
        text="""
The U.S.–ROK alliance was forged in war, but its next chapter may be written in megawatts. Both countries have pledged to reach net-zero emissions by 2050, and neither can get there alone. Korea’s industrial base runs on imported fuel; America’s clean-energy ambitions depend on batteries, many of them built by Korean firms. That is a natural partnership waiting to be organized.

A climate and energy-security agenda would start with supply chains. Korean battery makers have announced billions in new factories across the American South, and the two governments should back them with joint standards for critical minerals, shared stockpiles and coordinated investment in recycling. Small modular reactors, offshore wind and green hydrogen offer further room for joint research.

Cooperation should not stop at the water’s edge. Seoul and Washington can work through the U.N. climate framework and regional bodies to help Southeast Asian partners phase down coal, offering financing that is transparent and consistent with international rules. That is a better offer than loans with hidden conditions.

Skeptics say climate policy is a distraction from hard security. They are wrong. Rising seas threaten naval bases, heat waves strain power grids, and energy shocks hand leverage to coercive suppliers. An alliance that doesn't plan for these risks is planning for yesterday’s threats.

The alliance’s founders could not have imagined a shared fight against a warming planet. Their successors have no excuse for ignoring it.
""",
    ),
    dict(
        title="From Security Pact to Technology Partnership",
        outlet="Seoul Morning Forum",
        authors="Claire Martel",
        date="2023-03-09",
        slug="seoul-morning-forum/2023/03/from-security-pact-to-technology-partnership",
        topic="trade",
        text="""
For most of its history, the alliance between Seoul and Washington has been measured in troops, tanks and treaty language. Those remain essential. But the competition that will define the coming decades is being fought in chip fabs, data centers and launch pads, and the alliance must evolve accordingly.

Semiconductors are the obvious place to begin. Korea produces a large share of the world’s memory chips; the United States leads in design and equipment. Rather than compete for subsidies, the two governments should coordinate them, align export rules and build redundant supply chains that cannot be held hostage by any single country. A $1.2 billion joint research fund for next-generation packaging would be a modest down payment.

Artificial intelligence demands the same approach. Shared principles on safety testing, privacy and military use would give democracies a common voice in setting global standards before others set them by default. Dr. Park Min-seo, a computer scientist in Daejeon, has proposed joint AI evaluation centers staffed by both countries; governments should fund them.

Space is the next frontier. Korea’s lunar orbiter and its growing launch industry make it a credible partner, not a junior one. Cooperation on satellite navigation, debris tracking and Earth observation would strengthen both economies and the rules that keep orbit peaceful.

None of this replaces deterrence. It gives the alliance a purpose that younger citizens in both countries can recognize. An alliance that builds things together is harder to break apart.
""",
    ),
    dict(
        title="Rules, Not Might, Must Govern the Region",
        outlet="Seoul Morning Forum",
        authors="Seo Ji-hoon",
        date="2024-06-12",
        slug="seoul-morning-forum/2024/06/rules-not-might-must-govern-the-region",
        topic="china",
        text="""
Northeast Asia has prospered for half a century because most of its states accepted a simple bargain: disputes would be settled by negotiation and law, not by force. That bargain is now under strain. Coercive trade measures, gray-zone pressure at sea and casual talk of nuclear options all point toward a region where might makes right.

South Korea should resist that drift, not accommodate it. When China uses economic punishment to influence Seoul’s security choices, the right response is neither capitulation nor a mirror-image trade war. It is to insist on international law — through the World Trade Organization, through coordinated statements with like-minded partners and through transparent rules that apply to everyone, including the United States.

The same principle applies on the peninsula. Calls for South Korea to build its own nuclear weapons are understandable but mistaken. Leaving the Non-Proliferation Treaty would invite sanctions, endanger Korea’s civilian nuclear industry and hand Pyongyang a propaganda victory. Denuclearization of the whole peninsula must remain the goal, backed by credible U.S. extended deterrence and the consultative mechanisms the two allies agreed in 2023.

Rules also matter inside the alliance. A fair, multiyear burden-sharing agreement and a conditions-based OPCON transfer give both publics a predictability that slogans and threats cannot. Allies’ commitments should not be renegotiated every election cycle.

A rules-based order is not a gift the strong give the weak. It is the arrangement that lets mid-sized democracies like Korea thrive. Seoul should defend it with the same seriousness it brings to defending its borders.
""",
    ),
]


def build():
    records = []
    for i, s in enumerate(SAMPLES, start=1):
        paras = [p.strip() for p in s["text"].strip().split("\n\n")]
        assert all(paras) and all("\n" not in p for p in paras), s["title"]
        records.append({
            "id": f"sample-{i:02d}",
            "title": s["title"],
            "outlet": s["outlet"],
            "authors": s["authors"],
            "date": s["date"],
            "url": "https://example.org/" + s["slug"],
            "topic": s["topic"],
            "text": "\n\n".join(paras),
        })
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    out = os.path.join(HERE, "oped-samples.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        f.write(lines)
    # mtime=0 and no embedded filename keep the .gz byte-for-byte reproducible
    with open(out + ".gz", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(lines.encode("utf-8"))
    return records


if __name__ == "__main__":
    for r in build():
        print(r["id"], len(r["text"].split()), r["text"].count("\n\n") + 1, r["title"])
