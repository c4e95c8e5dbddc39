"""Derive gbt47678_5.csv (next to this file) from the shared transcription of GB/T 47678.5-2026.

Run once from the project root: `python jiesu/categories/data/derive_gbt.py`. The CSV it
writes is then the source of truth and may be edited by hand; re-running overwrites it.

Duty: first matching rule on the item name wins; otherwise the default for the
standard's suggested department.
"""
import csv
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
SRC = HERE.parents[2].parent / "shared" / "data" / "standards" / "gbt47678_5_2026.csv"
OUT = HERE / "gbt47678_5.csv"

DEFAULT = {  # suggested_department -> (lead, co)
    "市政公用部门": ("district_department:CGJ", ""),
    "交通管理部门": ("CD-JTW", ""),
    "环卫部门": ("district_department:CGJ", ""),
    "园林绿化部门": ("street", ""),
    "城市管理部门": ("street", ""),
    "": ("street", ""),
}

# (substring of the item name, lead, co) — checked in order, first hit wins.
RULES = [
    ("交通信号", "CD-JGJ", ""), ("非机动车", "street", ""), ("占用无障碍通道", "street", "district_department:CGJ"),
    ("施工工地", "district_department:ZJW", ""),
    ("污水井", "EN-DRAIN", ""), ("雨水", "EN-DRAIN", ""), ("中水", "EN-DRAIN", ""),
    ("=水井异常", "EN-WATER", ""),
    # 市政公用设施: the owner of the pipe or pole
    ("信号灯电源", "CD-JGJ", ""),
    ("输油（气）", "EN-GAS", ""),
    ("供水", "EN-WATER", ""), ("水鹤", "EN-WATER", ""), ("水塔", "EN-WATER", ""),
    ("污水井", "EN-DRAIN", ""), ("雨水", "EN-DRAIN", ""), ("化粪池井盖", "EN-DRAIN", ""), ("中水", "EN-DRAIN", ""),
    ("排水泵站", "EN-DRAIN", ""), ("雨污水排放口", "EN-DRAIN", "CD-SWJ"),
    ("路灯", "district_department:CGJ", ""), ("地灯", "district_department:CGJ", ""),
    ("景观灯", "district_department:CGJ", ""),
    ("电力", "EN-POWER", ""), ("电缆", "EN-POWER", ""), ("变压器", "EN-POWER", ""), ("高压线", "EN-POWER", ""),
    ("燃气", "EN-GAS", ""),
    ("热力", "EN-HEAT", ""), ("供热", "EN-HEAT", ""),
    ("通信", "EN-TEL", ""), ("电视井盖", "EN-TEL", ""), ("网络井盖", "EN-TEL", ""), ("电话亭", "EN-TEL", ""),
    ("消防设施", "CD-FXJ", ""),
    ("公安井盖", "CD-GAJ", ""), ("监控电子眼", "CD-GAJ", ""), ("治安岗亭", "CD-GAJ", ""),
    ("紧急报警点", "CD-GAJ", ""), ("公安指示牌", "CD-GAJ", ""), ("门（楼号）牌", "CD-GAJ", "street"),
    ("园林井盖", "CD-YLLH", ""),
    ("公交", "CD-JTW", ""),
    ("防汛", "CD-SWJ", "street"), ("水域", "CD-SWJ", ""), ("跨河管道", "CD-SWJ", ""),
    ("邮筒", "CD-DYJ", ""), ("快递柜", "CD-DYJ", "street"),
    ("户外健身设施", "street", "CD-TYJ"),
    ("公用电梯", "district_department:SCJ", "street"),
    ("充电桩", "district_department:CGJ", ""),
    ("综合管廊", "district_department:CGJ", ""), ("综合杆", "district_department:CGJ", ""),
    ("报刊亭", "district_department:CGJ", ""), ("信息亭", "district_department:CGJ", ""),
    ("售货亭", "street", ""), ("自动售货机", "street", ""), ("自助缴费机", "street", ""),
    ("特殊井盖", "street", ""), ("不明井盖", "street", ""), ("特殊立杆", "street", ""), ("不明立杆", "street", ""),
    ("沟槽盖板", "street", ""), ("旗杆", "street", ""), ("休息亭", "street", ""), ("防蚊闸", "street", ""),
    ("晒衣架", "street", ""), ("旧衣物回收箱", "street", ""), ("牌楼", "street", ""),
    ("管理责任公示牌", "street", ""),
    # 交通设施
    ("交通信号", "CD-JGJ", ""), ("交通岗亭", "CD-JGJ", ""), ("交通标志", "CD-JGJ", ""), ("交通标线", "CD-JGJ", ""),
    ("限高架", "CD-JGJ", ""), ("交通护栏", "CD-JGJ", ""), ("防撞桶", "CD-JGJ", ""), ("安全岛", "CD-JGJ", ""),
    ("人行横道桩", "CD-JGJ", ""), ("柔性隔离体", "CD-JGJ", ""), ("道路信息显示屏", "CD-JGJ", ""),
    ("交通反视镜", "CD-JGJ", ""), ("减速带", "CD-JGJ", "street"),
    ("路名牌", "CD-MZJ", ""), ("地名牌", "CD-MZJ", ""), ("救助站指示牌", "CD-MZJ", ""),
    ("便道桩", "street", ""), ("非机动车停放点", "street", ""), ("存车支架", "street", ""),
    ("自行车租赁点", "CD-JTW", "street"),
    ("无障碍", "district_department:CGJ", "street"),
    ("应急避难", "CD-YJJ", ""), ("文物", "CD-WTJ", ""), ("景区标识牌", "CD-WLJ", ""),
    # 市容环卫设施
    ("气象监测站", "CD-QXJ", ""),
    ("环保监测站", "district_department:STJ", ""), ("污水口监测站", "district_department:STJ", ""),
    ("污水监测器", "district_department:STJ", ""), ("噪声显示屏", "district_department:STJ", ""),
    ("户外广告", "street", "district_department:CGJ"), ("牌匾标识", "street", ""), ("宣传栏", "street", ""),
    ("宠物拾便", "street", ""), ("烟头收集器", "street", ""),
    # 园林绿化设施
    ("古树名木", "CD-YLLH", "street"), ("林地", "CD-YLLH", ""),
    # 其他管理部件
    ("公房地下室", "district_department:ZJW", "street"),
    ("加油（气、电）站", "CD-SWU", ""),
    # 市容环境类
    ("道路破损", "district_department:CGJ", ""),
    ("病虫害", "street", "CD-YLLH"), ("非法伐树", "CD-YLLH", "street"),
    ("堤岸破损", "CD-SWJ", ""), ("河道", "CD-SWJ", "street"), ("水域", "CD-SWJ", "street"),
    ("沙（河）滩", "CD-SWJ", "street"),
    ("乱丢弃医疗废物", "district_department:STJ", "street"),
    ("非正规垃圾填埋场", "street", "district_department:STJ"),
    ("公园秩序", "CD-YLLH", ""),
    ("边坡", "district_department:CGJ", ""), ("台阶破损", "district_department:CGJ", ""),
    ("路缘石", "district_department:CGJ", ""), ("盲道", "district_department:CGJ", ""),
    ("垃圾站（箱）满溢", "street", "district_department:CGJ"),
    ("废弃车辆", "street", "CD-JGJ"),
    # 宣传广告类
    ("广告语言文字", "district_department:SCJ", ""),
    # 施工管理类
    ("无证掘路", "district_department:ZFJ", "street"),
    ("渣土运输车辆", "district_department:ZFJ", ""),
    ("工地扬尘", "district_department:ZJW", "street"), ("施工废弃料", "district_department:ZJW", "street"),
    ("施工工地", "district_department:ZJW", ""), ("施工公示牌", "district_department:ZJW", ""),
    ("施工完成后", "district_department:ZJW", "street"),
    # 街面秩序类
    ("流浪乞讨", "CD-MZJ", "street"), ("非法出版物", "CD-WLJ", "street"),
    ("机动车乱停放", "CD-JGJ", ""), ("履带车", "CD-JGJ", ""), ("畜力车", "CD-JGJ", "street"),
    ("共享单车", "street", "CD-JTW"), ("占用消防通道", "CD-FXJ", "street"),
    ("无证餐饮", "district_department:SCJ", "street"), ("农贸市场", "district_department:SCJ", "street"),
    ("违规设置停车场", "CD-JTW", "street"),
    # 其他事项类
    ("架空线缆", "street", "EN-TEL;EN-POWER"),
]

URGENT = ("井盖", "燃气", "输油", "高压线", "变压器", "电力设施", "架空线缆", "积雪", "结冰", "防汛", "公用电梯",
          "交通信号灯", "箅子", "雨污水排放口", "排水泵站", "露天供热管道", "跨河管道")

REQUEST_TYPE = {"01": "help", "02": "help", "03": "help", "04": "help", "05": "help",
                "06": "complaint", "07": "report", "08": "complaint", "09": "report", "10": "help"}


def duty(row):
    for needle, lead, co in RULES:
        if needle.startswith("=") and row["name"] == needle[1:] or needle in row["name"]:
            return lead, co
    return DEFAULT[row["suggested_department"]]


def keywords(name):
    base = name.removesuffix("异常")
    for ch in "（）()、，":
        base = base.replace(ch, " ")
    words = [w for w in base.split() if w]
    extra = []
    for tail in ("井盖", "立杆", "指示牌", "标志牌", "显示屏", "监测站", "设施", "垃圾", "施工"):
        if tail in base and tail not in words:
            extra.append(tail)
    out = []
    for w in [base.replace(" ", "")] + words + extra:
        if w not in out:
            out.append(w)
    return " ".join(out)


def main():
    rows = list(csv.DictReader(open(SRC, encoding="utf-8")))
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "kind", "class_code", "class_name", "name", "suggested_department",
                    "lead", "co", "request_type", "time_limit", "keywords"])
        for r in rows:
            lead, co = duty(r)
            urgent = any(u in r["name"] for u in URGENT)
            w.writerow([r["code"], r["kind"], r["code"][:2], r["class_name"], r["name"],
                        r["suggested_department"], lead, co, REQUEST_TYPE[r["code"][:2]],
                        "utilities" if urgent else "general", keywords(r["name"])])
    print(len(rows))


main()
