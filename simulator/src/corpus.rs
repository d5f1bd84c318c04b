//! Word lists the generator draws from: names, chat lines, file names, places.
//! Everything here is fixed data; randomness lives in `generate`.

/// Common Chinese surnames with their pinyin, most frequent first.
pub const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("袁", "yuan"),
    ("潘", "pan"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("苏", "su"),
    ("魏", "wei"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
    ("姚", "yao"),
    ("欧阳", "ouyang"),
    ("司马", "sima"),
    ("上官", "shangguan"),
];

/// Characters of given names with their pinyin.
pub const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("婷", "ting"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("欣", "xin"),
    ("子", "zi"),
    ("涵", "han"),
    ("晨", "chen"),
    ("悦", "yue"),
    ("鑫", "xin"),
    ("佳", "jia"),
    ("怡", "yi"),
    ("俊", "jun"),
    ("博", "bo"),
    ("文", "wen"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("建", "jian"),
    ("华", "hua"),
    ("国", "guo"),
    ("海", "hai"),
    ("玉", "yu"),
    ("兰", "lan"),
    ("志", "zhi"),
    ("鹏", "peng"),
    ("思", "si"),
    ("雨", "yu"),
    ("嘉", "jia"),
    ("梓", "zi"),
];

/// Latin first names for contacts who use one.
pub const LATIN_FIRST: &[&str] = &[
    "Michael", "Grace", "Kevin", "Vivian", "Jason", "Cindy", "Eric", "Amy", "David", "Helen", "Tony", "Lily", "Peter", "Emma", "Frank",
    "Sophie",
];

/// Companies of WeCom external contacts: (name, ASCII email domain).
pub const COMPANIES: &[(&str, &str)] = &[
    ("北京华信科技有限公司", "huaxin-tech.cn"),
    ("上海东方物流集团", "dongfang-logistics.cn"),
    ("深圳前海资本管理有限公司", "qianhai-capital.cn"),
    ("杭州云帆软件", "yunfan-soft.cn"),
    ("Fabrikam Asia Ltd.", "fabrikam-asia.example"),
    ("广州恒通贸易有限公司", "hengtong-trade.cn"),
    ("Northwind Traders Shanghai", "northwind-sh.example"),
];

/// Group chat names.
pub const GROUP_NAMES: &[&str] = &[
    "销售部周会",
    "产品需求讨论",
    "华东区客户对接群",
    "年会筹备组",
    "研发中心技术交流",
    "财务报销答疑",
    "市场推广项目组",
    "Q4 Sales Pipeline",
    "合规与风控",
    "新员工入职群",
    "供应链协调",
    "上海办公室",
    "Project Phoenix 🚀",
    "周末羽毛球🏸",
    "客户服务值班群",
    "董事会材料准备",
    "APAC Treasury Desk",
    "深圳分公司全员",
    "交易台早会",
    "IT 支持",
];

/// Chinese chat lines.
pub const CHAT_ZH: &[&str] = &[
    "好的，收到。",
    "明天上午十点开会，请准时参加。",
    "这个方案我再看一下，下午给你回复。",
    "辛苦了！👍",
    "客户那边确认了吗？",
    "合同已经发到你邮箱了，请查收。",
    "今晚加班，晚饭一起吗？🍜",
    "价格还能再谈谈吗？",
    "我在路上，大概二十分钟到。",
    "报表数据有点问题，麻烦核对一下。",
    "没问题，按你说的办。",
    "周五之前能交付吗？",
    "老板让我们下午两点到会议室。",
    "谢谢！🙏",
    "这个订单的发票开好了吗？",
    "请把最新版本发我一下。",
    "收到，马上处理。",
    "下周出差去深圳，帮我订一下酒店。",
    "哈哈哈😂",
    "会议纪要已经整理好了。",
    "客户反馈说物流太慢了。",
    "审批流程走到哪一步了？",
    "今天的行情波动很大，注意风险。",
    "好的，我来安排。",
];

/// English chat lines.
pub const CHAT_EN: &[&str] = &[
    "Sounds good, thanks!",
    "Can we move the call to 3pm?",
    "Please review the deck before tomorrow.",
    "On my way 🚗",
    "Let me check with the client and get back to you.",
    "Great job on the launch 🎉",
    "Is the invoice ready?",
    "Sent you the latest draft.",
    "Noted, will follow up.",
    "Running 10 min late, sorry!",
];

/// Link previews: (title, url).
pub const LINKS: &[(&str, &str)] = &[
    ("季度财报解读", "https://news.example.cn/finance/q3-report"),
    ("产品发布会直播回放", "https://video.example.cn/live/launch-2026"),
    ("Market update: APAC equities", "https://markets.example.com/apac/update"),
    ("公司年会报名表", "https://forms.example.cn/annual-party"),
];

/// Shared locations: (name, address, latitude, longitude).
pub const PLACES: &[(&str, &str, f64, f64)] = &[
    ("国贸大厦", "北京市朝阳区建国门外大街1号", 39.9087, 116.4605),
    ("陆家嘴金融中心", "上海市浦东新区世纪大道8号", 31.2397, 121.4998),
    ("深圳湾科技生态园", "深圳市南山区高新南十道", 22.5245, 113.9445),
    ("西湖银泰", "杭州市上城区延安路98号", 30.2525, 120.1630),
    ("Starbucks Reserve Roastery", "上海市静安区南京西路789号", 31.2290, 121.4537),
];

/// Sticker descriptions.
pub const STICKERS: &[&str] = &["[动画表情] 点赞", "[动画表情] 笑哭", "[动画表情] 加油", "[动画表情] 握手", "[动画表情] 666"];

/// File names by extension.
pub const FILE_NAMES: &[(&str, &str)] = &[
    ("2026年第四季度销售报告", "pdf"),
    ("采购合同（草案）", "docx"),
    ("客户名单", "xlsx"),
    ("项目资料", "zip"),
    ("会议纪要", "docx"),
    ("报价单", "xlsx"),
    ("产品说明书", "pdf"),
    ("Investment Memo", "pdf"),
    ("预算明细", "xlsx"),
    ("设计稿", "zip"),
    ("尽职调查报告", "pdf"),
    ("Board Minutes", "docx"),
];
