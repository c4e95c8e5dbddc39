"""Does a reply answer the request? Three checks, pure (numpy via jiesu.dispatch.duplicates; no Django).

- off_topic: the reply's own words (salutations, thanks, quotes of the request and the
  date cut out) share too little with the request: relevance (cosine of character-bigram
  TF-IDF vectors, the duplicate check's features) below RELEVANCE_MIN;
- boilerplate: (almost) the same reply text as the same unit's reply to another request
  that is not the same problem (reply cosine ≥ BOILERPLATE_MIN, requests' cosine
  below SAME_REQUEST);
- no_result: the reply says neither what was done or found nor what the rules are — only
  that the message was received or passed on (收悉, 已转相关部门), or nothing of substance.

Thresholds were calibrated on the Teddy Cup messages with official replies
(docs/reply-quality.md gives the measured rates and the hand-checked precision).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from jiesu.dispatch.duplicates import Doc, DuplicateIndex, segments

RELEVANCE_MIN = 0.02        # below: off topic (mismatched request–reply pairs: p90 0.016; real pairs: p10 0.016)
BOILERPLATE_MIN = 0.9       # reply cosine at or above: the same reply
SAME_REQUEST = 0.2          # …unless the two requests are themselves this alike (the same problem, one answer)
MIN_SUBSTANCE = 15          # characters of the reply's own words below which nothing was said
NO_WINDOW_DAYS = 10 ** 6
BLOCK = 256                 # replies compared with the rest of their unit at a time (memory: BLOCK × n)

REASONS = ("off_topic", "boilerplate", "no_result")

#: Courtesy and frame of a reply: cut before anything is measured.
_FRAME = re.compile(
    r"(尊敬的)?(网友|市民|群众|同志|先生|女士)?[“\"]?[A-Za-z]*\d*[”\"]?[:：,，]?\s*(您好|你好)[!！,，。]?"
    r"|(您|你)的(留言|来信|来邮|来电|信件|网帖|诉求)(已)?收悉[!！,，。]?|(留言|来信|来邮|来电|信件)(已)?收悉[!！,，。]?|已收悉[!！,，。]?"
    r"|现(将|就)?(有关|相关)?(情况|问题|调查处理情况)?(回复|答复)如下[:：]?|现(回复|答复)如下[:：]?"
    r"|(非常|十分)?感谢(您|你)(对|的)[^。！!]{0,30}[。！!]?|(再次)?(感谢|谢谢)(您|你)?(的)?(理解|支持|关心|关注|监督)[^。！!]{0,20}[。！!]?"
    r"|(此复|特此回复|特此答复)[。！!]?|\d{4}年\d{1,2}月\d{1,2}日")
_QUOTE = re.compile(r"[“\"][^”\"]{4,}[”\"]")
#: What was done, found or decided (a result), or the rule that answers a question.
_RESULT = re.compile(
    r"已(经)?(完成|处理|整改|清理|清除|修复|修缮|维修|解决|安排|落实|督促|要求|责令|约谈|拆除|查处|立案|核实|调查|协调|"
    r"办理|恢复|更换|取缔|下达|通知|告知|组织|联系|到场|上门|派|对接|纳入|启动|开工|竣工|批复|审批|发放|退还|补发|签订|"
    r"制定|出台|实施|开展|增设|设置|安装|调整|关闭|停止|暂停|整治|查封|罚款|处罚)"
    r"|经(查|核实|核查|调查|了解|研究|协调|现场|实地)|调查(发现|核实|了解)|现场(查看|核实|检查|勘察)"
    r"|目前|下一步|将于|预计|计划于|拟|正在|根据|按照|依据|依照|规定|政策|条例|办法|可以|可向|可到|须|需要|应当|"
    r"不符合|符合|属于|不属于|无法|不能|暂不|经费|资金|方案|情况(属实|不属实)|属实|不属实|"
    r"可由|可凭|可持|可在|具体|负责|已于|选址|标准为|收费标准|进行了|立即安排|安排(人员|执法)|到现场|去往|沟通|"
    r"批评教育|不存在|与(您)?反映(的)?(内容|情况)不符|按计划|要求(其)?整改"
    r"|\d+(\.\d+)?(℃|°C|度|米|公里|元|户|辆|处|台|吨|平方米|立方米|分贝)|(到场|上门)(查看|核实|检查|测温|维修)|测温|复测"
    r"|张贴|可携带|可通过|可登录|当场|立案|立即(安排|组织|派)|经[^,，。;；]{1,12}(核实|核查|调查|查实|勘察|查勘)")
#: A clause that only promises or asks for patience (会尽快处理, 高度重视, 正在积极协调中, 如有疑问可以来电,
#: 需要您的理解和支持): cut before the result words are looked for, unless it names a date or a number.
_PROMISE = re.compile(
    r"(会|将|再)(尽快|尽早|积极|认真|继续|进一步|持续|加大|加强|及时|努力|全力|密切|跟踪|与|和|同)"
    r"|正在(积极|抓紧|全力)?(协调|处理|核实|调查|研究|办理|跟进|推进)|如(有|需|您)(任何)?(疑问|问题|需要|需求|其他|不明)"
    r"|(需要|请|望)(您|你)(的)?(理解|支持|配合|耐心|谅解)|认真负责|负责(地)?对待|(尽快|及时)(给|向)?(您)?(答复|回复|反馈)")
_CLAUSE = re.compile(r"[^,，;；。!！?？]+[,，;；。!！?？]?")
_FORWARD = re.compile(r"已(将|把)?[^。！!]{0,20}转(交|至|给|到|相关|有关)|转(交|至)?(相关|有关|责任)(部门|单位)|敬请关注|请(您)?耐心等待")


def normal(text):
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def own_words(reply):
    """The reply's own words: frame (greetings, receipts, thanks, date) and quotes of the request cut out."""
    text = _QUOTE.sub("", normal(reply))
    return _FRAME.sub("", text)


def has_result(reply):
    """True when the reply states a result, a finding, a decision or the rule that answers."""
    words = own_words(reply)
    if len(words) < MIN_SUBSTANCE:
        return False
    return bool(_RESULT.search(_FORWARD.sub("", deeds(words))))


def deeds(words):
    """`words` without the clauses that only promise (see _PROMISE) — a clause with a date or number stays."""
    words = re.sub(r"(领导|我(局|镇|单位|中心|们|司|队))?(高度|非常|十分)重视", "", words)  # said of every request
    return "".join(c for c in _CLAUSE.findall(words) if re.search(r"\d", c) or not _PROMISE.search(c))


@dataclass
class Reply:
    """One reply to check: the request, the reply, who replied (unit key) and an id."""

    id: int
    request: str
    reply: str
    unit: object = None


@dataclass
class Verdict:
    id: int
    relevance: float
    reasons: list = field(default_factory=list)
    same_as: int | None = None

    @property
    def flagged(self):
        return bool(self.reasons)


def build_index(texts):
    """An index whose IDF is that of `texts` (requests and replies of a period; plain frequencies below the
    duplicate index's MIN_IDF_DOCS)."""
    idx = DuplicateIndex(window_days=NO_WINDOW_DAYS, without_places=False)  # whole texts only: the IDF is of them
    # texts without features are left out: they add nothing to the IDF (and an empty last row trips the index)
    idx.build(Doc(i, t, 0.0) for i, t in enumerate(t for t in texts if segments(t)))
    return idx


def relevance(request, reply, index=None):
    """Cosine of the request and the reply's own words."""
    index = index or build_index([])
    words = own_words(reply)
    if not words:
        return 0.0
    return round(index.similarity(request, words), 4)


def _rows(index, texts):
    """L2-normalised TF-IDF rows of texts (CSR), with this index's IDF."""
    from scipy import sparse

    indptr, indices, data = [0], [], []
    for t in texts:
        cols, w = index.vector(t)
        order = np.argsort(cols)
        indices.append(cols[order])
        data.append(w[order])
        indptr.append(indptr[-1] + len(cols))
    if not texts:
        return sparse.csr_matrix((0, index.dim), dtype=np.float32)
    return sparse.csr_matrix((np.concatenate(data), np.concatenate(indices), np.array(indptr)),
                             shape=(len(texts), index.dim))


def boilerplate_pairs(replies, index, min_reply=BOILERPLATE_MIN, same_request=SAME_REQUEST, only=None):
    """{reply id: id of another reply of the same unit with (almost) the same words to a different problem}; with
    `only` (a set of ids), for those replies only (compared with all the others)."""
    out = {}
    by_unit = {}
    for r in replies:
        by_unit.setdefault(r.unit, []).append(r)
    for group in by_unit.values():
        if len(group) < 2:
            continue
        words = _rows(index, [own_words(r.reply) or normal(r.reply) for r in group])
        asks = _rows(index, [r.request for r in group])
        others = words.T.tocsc()
        asked = [i for i, r in enumerate(group) if only is None or r.id in only]
        for lo in range(0, len(asked), BLOCK):  # BLOCK rows at a time: a unit's n × n similarities never all at once
            block = asked[lo:lo + BLOCK]
            sims = (words[block] @ others).toarray()
            for k, row in enumerate(sims >= min_reply):
                i = block[k]
                if group[i].id in out:
                    continue
                for j in np.flatnonzero(row):  # the first alike reply to another problem (one is enough)
                    if j != i and float(asks[i].multiply(asks[j]).sum()) < same_request:
                        out[group[i].id] = group[j].id
                        break
    return out


def check_all(replies, index=None, relevance_min=RELEVANCE_MIN, only=None):
    """A Verdict for every reply (boilerplate looked for among these replies, per unit); with `only` (a set of
    ids), for those replies only, the others being the earlier replies they are compared with."""
    replies = list(replies)
    index = index or build_index([t for r in replies for t in (r.request, own_words(r.reply))])
    same = boilerplate_pairs(replies, index, only=only)
    out = []
    for r in replies:
        if only is not None and r.id not in only:
            continue
        rel = relevance(r.request, r.reply, index)
        reasons = []
        if rel < relevance_min and len(own_words(r.reply)) >= MIN_SUBSTANCE:  # too short: no_result says it
            reasons.append("off_topic")
        if r.id in same:
            reasons.append("boilerplate")
        if not has_result(r.reply):
            reasons.append("no_result")
        out.append(Verdict(r.id, rel, reasons, same.get(r.id)))
    return out


def check_one(request, reply, others=(), index=None, relevance_min=RELEVANCE_MIN):
    """The verdict on a draft reply; `others` are (ticket id, request, reply) of the unit's recent replies."""
    others = list(others)
    index = index or build_index([request, own_words(reply)] + [t for _pk, q, p in others for t in (q, p)])
    words = own_words(reply)
    rel = relevance(request, reply, index)
    reasons = ["off_topic"] if rel < relevance_min and len(words) >= MIN_SUBSTANCE else []
    same = None
    if others:  # the draft against the others only (check_all would check every one of them too)
        mine = _rows(index, [words or normal(reply)])
        sims = (_rows(index, [own_words(p) or normal(p) for _pk, _q, p in others]) @ mine.T).toarray().ravel()
        ask = _rows(index, [request])
        for k in np.flatnonzero(sims >= BOILERPLATE_MIN):  # in order, like check_all: the first to another problem
            if float(_rows(index, [others[k][1]]).multiply(ask).sum()) < SAME_REQUEST:
                same = others[k][0]
                reasons.append("boilerplate")
                break
    if not has_result(reply):
        reasons.append("no_result")
    return Verdict(0, rel, reasons, same)
