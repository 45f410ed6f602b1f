"""The demo's data: Zhuzhou, November 2022. Enterprises, fleets, checkpoints, accounts and the
requests the demo files, each with the state it should end in. Seeded by ``passes.demo.seed``.

Identifiers are fictional but valid: credit codes carry a correct GB 32100 check character, ID
numbers a correct GB 11643 check digit and real birth dates, plates are 湘B (Zhuzhou).
Every record has a natural key (username, credit code, plate, ID number, checkpoint code,
request reference), which is what makes running the demo twice harmless.
"""

DEMO_PASSWORD = "passdesk-demo"  # noqa: S105 - printed on screen; demo accounts only

# username, role (for the login table), groups, is_staff, is_superuser, full name
STAFF = [
    ("reviewer", "reviewer (审核员)", ["Reviewers"], True, False, "刘敏"),
    ("reviewer2", "reviewer (审核员)", ["Reviewers"], True, False, "张磊"),
    ("officer", "officer (科长)", ["Officers"], True, False, "陈建国"),
    ("inspector", "checkpoint inspector (卡口检查员)", ["Inspectors"], False, False, "周斌"),
    ("admin", "superuser", [], True, True, "管理员"),
]

CHECKPOINTS = [
    ("xiangjiang-bridge-1", "湘江一桥卡口", "荷塘区湘江一桥东桥头"),
    ("fengxi-bridge", "枫溪大桥卡口", "芦淞区枫溪大桥南引桥"),
    ("shifeng-bridge", "石峰大桥卡口", "石峰区石峰大桥北桥头"),
    ("zhuzhou-west-toll", "株洲西收费站卡口", "天元区沪昆高速株洲西收费站"),
]

# Each enterprise: its applicant account (username), its fleet, and how the office treats it.
ENTERPRISES = [
    {
        "key": "HXF",
        "name": "株洲好媳妇家居用品有限公司",
        "credit_code": "91430211MA4PHX7Q26",
        "address": "湖南省株洲市天元区栗雨工业园栗雨路88号",
        "contact_name": "何丽",
        "contact_phone": "13973311826",
        "key_enterprise": True,
        "verification": "verified",
        "applicant": ("applicant", "何丽"),
        "vehicles": [
            ("湘B·5J827", "heavy_truck", "430200012201"),
            ("湘B·6K302", "heavy_truck", "430200012202"),
            ("湘BD·21836", "van", "430200012203"),
        ],
        "drivers": [
            ("王建军", "43020219780312031X", "13907331201"),
            ("刘芳", "430203198209070525", "13907331202"),
            ("李志强", "43021119750121013X", "13907331203"),
        ],
    },
    {
        "key": "XY",
        "name": "株洲湘运物流有限公司",
        "credit_code": "91430202MA4L8KXN17",
        "address": "湖南省株洲市荷塘区金山路216号",
        "contact_name": "谭志明",
        "contact_phone": "13807332288",
        "key_enterprise": True,
        "verification": "verified",
        "applicant": ("xiangyun", "谭志明"),
        "vehicles": [
            ("湘B·80916", "tractor", "430200022101"),
            ("湘B·81273", "heavy_truck", "430200022102"),
            ("湘B·08516D", "medium_truck", "430200022103"),
        ],
        "drivers": [
            ("张卫东", "430221198008150951", "13807332201"),
            ("谭国庆", "430223198901180574", "13807332202"),
            ("罗建华", "430212197709090794", "13807332203"),
        ],
    },
    {
        "key": "CC",
        "name": "醴陵市瓷城陶瓷物流有限公司",
        "credit_code": "91430281MA4T2C6H94",
        "address": "湖南省醴陵市经济开发区陶瓷科技工业园",
        "contact_name": "易春梅",
        "contact_phone": "15973322810",
        "key_enterprise": False,
        "verification": "verified",
        "applicant": ("cicheng", "易春梅"),
        "vehicles": [("湘B·L6652", "heavy_truck", "430200032101")],
        "drivers": [("周小红", "430281197204030369", "15973322801")],
    },
    {
        "key": "YY",
        "name": "株洲天元医药配送有限公司",
        "credit_code": "91430211MA4RYW3D50",
        "address": "湖南省株洲市天元区黄河南路355号",
        "contact_name": "邓志军",
        "contact_phone": "18973310355",
        "key_enterprise": True,
        "verification": "verified",
        "applicant": ("yiyao", "邓志军"),
        "vehicles": [("湘B·Y2870", "refrigerated", "430200042101")],
        "drivers": [
            ("邓志军", "430224198107160513", "18973310301"),
            ("黄静", "430211199002140308", "18973310302"),
        ],
    },
    {
        "key": "SF",
        "name": "株洲石峰建材运输有限公司",
        "credit_code": "91430204MA4M5B9G34",
        "address": "湖南省株洲市石峰区田心大道41号",
        "contact_name": "陈丽",
        "contact_phone": "13337335041",
        "key_enterprise": False,
        "verification": "verified",  # suspended after its request is rejected, see REQUESTS
        "applicant": ("shifeng", "陈丽"),
        "vehicles": [("湘B·3G551", "heavy_truck", "430200052101")],
        "drivers": [("彭燕", "430202198305250183", "13337335001")],
    },
    {
        "key": "FS",
        "name": "株洲芦淞服饰供应链有限公司",
        "credit_code": "91430203MA4QF8L07F",
        "address": "湖南省株洲市芦淞区董家塅服饰产业园",
        "contact_name": "易军",
        "contact_phone": "17773326610",
        "key_enterprise": False,
        "verification": "pending",  # registered, not yet checked by the office
        "applicant": ("lusong", "易军"),
        "vehicles": [("湘B·3F588", "light_truck", "430200062101")],
        "drivers": [("易春燕", "430281198402280128", "17773326601")],
    },
]

SUSPENSIONS = {"SF": "提交的核酸检测报告与检测机构记录不符，暂停受理该企业申请。"}

EMERGENCY = "emergency-logistics"
URBAN = "urban-truck-access"

# reference, enterprise key, pass type, final state, vehicles (plates), drivers per vehicle,
# cargo, route, checkpoints, and the reason for a return, rejection or revocation.
REQUESTS = [
    {
        "reference": "SQ20221126-HXF001",
        "enterprise": "HXF",
        "pass_type": EMERGENCY,
        "state": "approved",
        "items": [("湘B·5J827", ["王建军"]), ("湘BD·21836", ["刘芳"])],
        "cargo": ("raw_materials", "板材、五金配件等家居生产原料"),
        "route": (
            "株洲市天元区栗雨工业园",
            "长沙市望城区铜官循环经济产业园",
            "栗雨路—沪昆高速—京港澳高速",
        ),
        "checkpoints": ["zhuzhou-west-toll", "xiangjiang-bridge-1"],
    },
    {
        "reference": "SQ20221126-HXF002",
        "enterprise": "HXF",
        "pass_type": EMERGENCY,
        "state": "in_review",
        "items": [("湘B·6K302", ["李志强", "王建军"])],
        "cargo": ("finished_goods", "拖把、收纳箱等家居用品成品"),
        "route": ("株洲市天元区栗雨工业园", "湘潭市岳塘区双马物流园", "天易大道—芙蓉大道"),
        "checkpoints": ["fengxi-bridge"],
    },
    {
        "reference": "SQ20221126-HXF003",
        "enterprise": "HXF",
        "pass_type": URBAN,
        "state": "draft",
        "items": [("湘B·6K302", ["李志强"])],
        "cargo": ("finished_goods", "城区门店补货"),
        "route": ("株洲市天元区栗雨工业园", "株洲市芦淞区建设中路门店", "株洲大道—建设中路"),
        "checkpoints": ["shifeng-bridge"],
    },
    {
        "reference": "SQ20221126-XY0001",
        "enterprise": "XY",
        "pass_type": EMERGENCY,
        "state": "approved",
        "items": [("湘B·80916", ["张卫东"]), ("湘B·81273", ["谭国庆"]), ("湘B·08516D", ["罗建华"])],
        "cargo": ("daily_necessities", "米、面、食用油等生活物资"),
        "route": ("株洲市荷塘区金山物流园", "株洲市芦淞区各社区保供点", "金山路—红旗路—湘江一桥"),
        "checkpoints": ["xiangjiang-bridge-1", "fengxi-bridge"],
        "revoke": ("湘B·81273", "车辆未按核定线路行驶，经卡口核查属实，收回通行证。"),
    },
    {
        "reference": "SQ20221126-XY0002",
        "enterprise": "XY",
        "pass_type": EMERGENCY,
        "state": "submitted",
        "items": [("湘B·81273", ["罗建华"])],
        "cargo": ("daily_necessities", "蔬菜、鲜肉等生鲜物资"),
        "route": ("株洲市荷塘区金山物流园", "株洲市石峰区清水塘保供点", "金山路—石峰大桥"),
        "checkpoints": ["shifeng-bridge"],
    },
    {
        "reference": "SQ20221126-XY0003",
        "enterprise": "XY",
        "pass_type": EMERGENCY,
        "state": "returned",
        "items": [("湘B·80916", ["谭国庆"])],
        "cargo": ("raw_materials", "化工原料（非危险品）"),
        "route": ("株洲市荷塘区金山物流园", "株洲市石峰区田心工业园", "金山路—田心大道"),
        "checkpoints": ["shifeng-bridge"],
        "reason": (
            "谭国庆的核酸检测报告不清晰，无法辨认采样时间，请重新上传48小时内的报告后再提交。"
        ),
    },
    {
        "reference": "SQ20221126-CC0001",
        "enterprise": "CC",
        "pass_type": URBAN,
        "state": "withdrawn",
        "items": [("湘B·L6652", ["周小红"])],
        "cargo": ("finished_goods", "日用陶瓷"),
        "route": ("醴陵市陶瓷科技工业园", "株洲市芦淞区陶瓷市场", "醴陵大道—沪昆高速—株洲西"),
        "checkpoints": ["zhuzhou-west-toll"],
    },
    {
        "reference": "SQ20221126-YY0001",
        "enterprise": "YY",
        "pass_type": EMERGENCY,
        "state": "approved",
        "items": [("湘B·Y2870", ["邓志军", "黄静"])],
        "cargo": ("medical_supplies", "药品及医用防护物资（冷链）"),
        "route": (
            "株洲市天元区黄河南路仓库",
            "株洲市中心医院及各社区卫生服务中心",
            "黄河南路—湘江一桥—新华西路",
        ),
        "checkpoints": ["xiangjiang-bridge-1"],
    },
    {
        "reference": "SQ20221126-SF0001",
        "enterprise": "SF",
        "pass_type": EMERGENCY,
        "state": "rejected",
        "items": [("湘B·3G551", ["彭燕"])],
        "cargo": ("other", "砂石、水泥等建材"),
        "route": ("株洲市石峰区田心大道", "株洲市天元区在建工地", "田心大道—石峰大桥—天元大桥"),
        "checkpoints": ["shifeng-bridge"],
        "reason": "所运建材不属于疫情防控期间的保供物资，不予核发应急通行证。",
    },
    {
        "reference": "SQ20221126-FS0001",
        "enterprise": "FS",
        "pass_type": URBAN,
        "state": "draft",
        "items": [("湘B·3F588", ["易春燕"])],
        "cargo": ("finished_goods", "服装成品"),
        "route": ("株洲市芦淞区董家塅服饰产业园", "株洲市荷塘区服装批发市场", "董家塅大道—红旗路"),
        "checkpoints": ["fengxi-bridge"],
    },
]

# What the scanned materials say (title, lines). ``{…}`` fields are filled per record.
SCAN_TEXT = {
    "business_licence": (
        "营业执照",
        [
            "统一社会信用代码：{credit_code}",
            "名称：{name}",
            "类型：有限责任公司",
            "住所：{address}",
        ],
    ),
    "vehicle_licence": (
        "机动车行驶证",
        [
            "号牌号码：{plate}",
            "车辆类型：{vehicle_type}",
            "所有人：{enterprise}",
            "档案编号：{licence}",
        ],
    ),
    "driving_licence": (
        "机动车驾驶证",
        ["姓名：{name}", "证号：{masked}", "准驾车型：A2", "档案编号：{licence}"],
    ),
    "nucleic_acid_test": (
        "新型冠状病毒核酸检测报告",
        ["姓名：{name}", "证件号码：{masked}", "采样时间：{tested_at}", "检测结果：阴性（-）"],
    ),
    "commitment_letter": (
        "疫情防控承诺书",
        [
            "申请单位：{enterprise}",
            "申请编号：{reference}",
            "本单位承诺所报材料真实有效，",
            "严格按核定线路通行。",
        ],
    ),
}
