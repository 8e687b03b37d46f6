"""The demo park: Shanghai Chemical Industry Park (上海化学工业区), Caojing, Jinshan district.

The park is placed at its real location on the north shore of Hangzhou Bay (centre 121.330 °E,
30.806 °N; everything stays north of 30.785 °N, on land). Everything in it is invented: the 20 chemical
companies, their units, the villages, schools and emergency resources
around the park; any resemblance of a name to a real one is a coincidence. Region boundaries are
schematic, not surveyed boundaries.

Counts (the seed changes names, dates and registry status, not the counts):

=====================  =====
enterprises               20
hazard sources            40   (23 tank areas, 6 warehouses, 11 production sites)
equipment                 93   (62 tanks, 8 warehouse rooms, 23 process units)
sensors                1,309   (on tanks and process units, gas detectors, the park's weather station)
fences                    64
personnel tags           110   (100 people, 10 vehicles)
sensitive targets         10
emergency resources        8
=====================  =====

Every GB 18218 grade is present, and so are units that are not major hazard sources (S < 1); the
α of each company follows from the villages within 500 m of its site.
"""

from __future__ import annotations

from geo.demo.specs import Company, Layout, ParkSpec, Plant, Resource, Room, Store, Tanks, Target, Unit
from geo.demo.stock import ATMOSPHERIC, COMPRESSED, PRESSURISED

LON, LAT = 121.330, 30.806
NAME = "上海化学工业区"
NAME_EN = "Shanghai Chemical Industry Park"
CODE = "310116P01"
OPERATOR_COMPANY = "上海沪湾氯碱化工有限公司"  # the demo account `operator` works here

# 5 × 4 plots of 700 m × 550 m, 50 m roads, 200 m between the plots and the park boundary:
# the park spans 4.1 km × 2.75 km (121.309-121.351 °E, 30.794-30.818 °N).
LAYOUT = Layout(cols=5, rows=4, plot_w=700.0, plot_h=550.0, road=50.0, margin=200.0)

IF, FR, SPHERE, HORIZONTAL = "internal_floating", "fixed_roof", "sphere", "horizontal"

# Plots are taken in order, row by row from the south-west (row 1 on the shore, row 4 to the north,
# next to the villages).
COMPANIES = (
    # --- row 1 (south) ---
    Company(
        "上海滨海甲醇化工有限公司",
        "Shanghai Binhai Methanol Chemical Co., Ltd.",
        "coal_chemical",
        (
            Plant(
                "甲醇合成装置",
                (
                    Unit("甲醇合成塔", "氢", 4.0, COMPRESSED, 8.0, 250.0, 30.0),
                    Unit("甲醇精馏塔", "甲醇", 300.0, ATMOSPHERIC, 0.1, 70.0, 40.0),
                ),
            ),
            Tanks("甲醇中间罐区", "甲醇", FR, 1000, 2),
        ),
    ),
    Company(
        "上海海晨芳烃有限公司",
        "Shanghai Haichen Aromatics Co., Ltd.",
        "petrochemical",
        (
            Tanks("苯罐区", "苯", IF, 5000, 4),
            Tanks("甲苯罐区", "甲苯", IF, 5000, 4),
            Plant(
                "芳烃抽提装置",
                (
                    Unit("抽提塔", "苯", 80.0, ATMOSPHERIC, 0.3, 90.0, 40.0),
                    Unit("甲苯塔", "甲苯", 60.0, ATMOSPHERIC, 0.1, 120.0, 30.0),
                ),
            ),
        ),
    ),
    Company(
        "上海中港醋酸有限公司",
        "Shanghai Zhonggang Acetic Acid Co., Ltd.",
        "coal_chemical",
        (Tanks("醋酸罐区", "乙酸", FR, 3000, 4), Tanks("甲醇原料罐区", "甲醇", IF, 5000, 2)),
        vehicles=1,
    ),
    Company(
        "上海浦湾氯化氢有限公司",
        "Shanghai Puwan Hydrogen Chloride Co., Ltd.",
        "chlor_alkali",
        (
            Plant(
                "氯化氢合成装置",
                (
                    Unit("氯气缓冲罐", "氯", 3.0, COMPRESSED, 0.3, 30.0, 4.0),
                    Unit("氯化氢合成炉", "氯化氢", 12.0, COMPRESSED, 0.1, 150.0, 6.0),
                ),
            ),
            Tanks("液氯储罐区", "氯", HORIZONTAL, 30, 2),
        ),
    ),
    Company(
        "上海联海化学品物流有限公司",
        "Shanghai Lianhai Chemical Logistics Co., Ltd.",
        "storage",
        (
            Tanks("乙醇罐区", "乙醇", IF, 2000, 2),
            Tanks("液化石油气球罐区", "液化石油气", SPHERE, 400, 2),
            Store("桶装溶剂仓库", (Room("丙酮", 50.0),)),
        ),
        vehicles=2,
    ),
    # --- row 2 ---
    Company(
        "上海东岸丙烯腈有限公司",
        "Shanghai Dong'an Acrylonitrile Co., Ltd.",
        "petrochemical",
        (
            Tanks("丙烯腈罐区", "2-丙烯腈", IF, 2000, 2),
            Plant(
                "丙烯腈装置",
                (
                    Unit("氨蒸发及进料单元", "氨", 15.0, PRESSURISED, 0.5, 10.0, 8.0),
                    Unit("丙烯腈精制塔", "2-丙烯腈", 40.0, ATMOSPHERIC, 0.05, 80.0, 12.0),
                ),
            ),
        ),
    ),
    Company(
        "上海漕宁医药化学有限公司",
        "Shanghai Caoning Pharmaceutical Chemicals Co., Ltd.",
        "pharmaceutical",
        (
            Tanks("乙醇罐区", "乙醇", FR, 500, 2),
            Tanks("丙酮罐区", "丙酮", FR, 500, 2),
            Store("原料仓库", (Room("丙酮", 20.0), Room("乙醇", 20.0))),
        ),
    ),
    Company(
        "上海澄海溶剂有限公司",
        "Shanghai Chenghai Solvents Co., Ltd.",
        "fine_chemical",
        (Tanks("二甲苯罐区", "二甲苯", FR, 1000, 4), Tanks("乙酸罐区", "乙酸", FR, 1000, 2)),
    ),
    Company(
        "上海海硫环保科技有限公司",
        "Shanghai Hailiu Sulphur Recovery Co., Ltd.",
        "other",
        (
            Plant(
                "硫磺回收装置",
                (
                    Unit("酸性气分液罐", "硫化氢", 2.0, COMPRESSED, 0.08, 40.0, 5.0),
                    Unit("克劳斯反应炉", "硫化氢", 4.0, COMPRESSED, 0.05, 1100.0, 5.0),
                ),
            ),
        ),
    ),
    Company(
        "上海鸿漕涂料有限公司",
        "Shanghai Hongcao Coatings Co., Ltd.",
        "fine_chemical",
        (Tanks("甲苯罐区", "甲苯", FR, 1000, 2), Tanks("二甲苯罐区", "二甲苯", FR, 1000, 2)),
    ),
    # --- row 3 ---
    Company(
        "上海海悦环氧乙烷有限公司",
        "Shanghai Haiyue Ethylene Oxide Co., Ltd.",
        "petrochemical",
        (
            Plant(
                "环氧乙烷装置",
                (
                    Unit("环氧乙烷反应器", "乙烯", 30.0, COMPRESSED, 2.0, 240.0, 20.0),
                    Unit("环氧乙烷精制塔", "环氧乙烷", 25.0, PRESSURISED, 0.4, 40.0, 10.0),
                ),
                Tanks("环氧乙烷中间罐", "环氧乙烷", HORIZONTAL, 100, 2),
            ),
        ),
    ),
    Company(
        "上海瑞安精细化工有限公司",
        "Shanghai Rui'an Fine Chemicals Co., Ltd.",
        "fine_chemical",
        (
            Store("甲类仓库", (Room("氯酸钠", 150.0), Room("过氧化钠", 20.0))),
            Tanks("溶剂罐区", "二甲苯", FR, 500, 2),
        ),
    ),
    Company(
        "上海华漕乙烯有限公司",
        "Shanghai Huacao Ethylene Co., Ltd.",
        "petrochemical",
        (
            Plant(
                "乙烯裂解装置",
                (
                    Unit("裂解气压缩单元", "乙烯", 60.0, COMPRESSED, 3.5, 40.0, 80.0),
                    Unit("乙烯精馏塔", "乙烯", 60.0, PRESSURISED, 2.0, -30.0, 60.0),
                    Unit("氢气分离单元", "氢", 5.0, COMPRESSED, 3.5, -160.0, 3.0),
                ),
            ),
        ),
    ),
    Company(
        "上海湾区工业气体有限公司",
        "Shanghai Bay Industrial Gases Co., Ltd.",
        "gas",
        (Plant("制氢装置", (Unit("变压吸附提氢单元", "氢", 8.0, COMPRESSED, 2.5, 40.0, 2.0),)),),
    ),
    Company(
        "上海新港危险品仓储有限公司",
        "Shanghai Xingang Dangerous Goods Warehousing Co., Ltd.",
        "storage",
        (
            Store("1号甲类仓库", (Room("碳化钙", 250.0),)),
            Store("2号甲类仓库", (Room("氯酸钠", 300.0),)),
            Store("3号仓库", (Room("过氧化钠", 5.0),)),
        ),
        vehicles=2,
    ),
    # --- row 4 (north, next to the villages) ---
    Company(
        "上海申海氯乙烯有限公司",
        "Shanghai Shenhai Vinyl Chloride Co., Ltd.",
        "chlor_alkali",
        (
            Tanks("氯乙烯球罐区", "氯乙烯", SPHERE, 1000, 2),
            Plant(
                "氯乙烯单体装置",
                (
                    Unit("二氯乙烷裂解及氯乙烯精馏", "氯乙烯", 15.0, PRESSURISED, 0.8, 40.0, 15.0),
                    Unit("氯化氢回收塔", "氯化氢", 3.0, COMPRESSED, 1.2, -20.0, 5.0),
                ),
            ),
        ),
    ),
    Company(
        "上海沪湾氯碱化工有限公司",
        "Shanghai Huwan Chlor-Alkali Chemical Co., Ltd.",
        "chlor_alkali",
        (
            Tanks("液氯储罐区", "氯", HORIZONTAL, 50, 3),
            Plant(
                "电解及氯化氢合成装置",
                (
                    Unit("氯气处理及液化单元", "氯", 2.0, PRESSURISED, 0.8, 10.0, 5.0),
                    Unit("氯化氢合成炉", "氯化氢", 1.5, COMPRESSED, 0.05, 150.0, 4.0),
                    Unit("氢气处理单元", "氢", 0.3, COMPRESSED, 0.05, 40.0, 0.3),
                ),
            ),
        ),
    ),
    Company(
        "上海金湾石化储运有限公司",
        "Shanghai Jinwan Petrochemical Storage Co., Ltd.",
        "storage",
        (
            Tanks("甲醇罐区", "甲醇", IF, 5000, 4),
            Tanks("苯罐区", "苯", IF, 3000, 3),
            Tanks("甲苯罐区", "甲苯", FR, 2000, 2),
        ),
        vehicles=2,
    ),
    Company(
        "上海杭湾液化气有限公司",
        "Shanghai Hangwan LPG Co., Ltd.",
        "gas",
        (Tanks("液化石油气球罐区", "液化石油气", SPHERE, 1000, 4),),
        vehicles=2,
    ),
    Company(
        "上海漕滨合成氨有限公司",
        "Shanghai Caobin Ammonia Co., Ltd.",
        "fertilizer",
        (
            Tanks("液氨球罐区", "氨", SPHERE, 1000, 2),
            Plant(
                "合成氨装置",
                (
                    Unit("氨合成塔", "氨", 20.0, COMPRESSED, 15.0, 450.0, 50.0),
                    Unit("氢氮气压缩单元", "氢", 2.0, COMPRESSED, 15.0, 40.0, 10.0),
                ),
            ),
        ),
        vehicles=1,
    ),
)

# Around the park, in park metres (x east, y north of the park centre). The plots' north edge is at
# y = 1175 m, the west edge at x = -1850 m; the sea is to the south. 北塘新村, 东滨村 and 西塘村 lie
# partly within 500 m of the edge companies; the rest is 1-5 km away.
TARGETS = (
    Target("北塘新村", "residential", (-900.0, 1500.0, -250.0, 1800.0), 680),
    Target("东滨村", "residential", (1950.0, 1450.0, 2250.0, 1650.0), 90),
    Target("西塘村", "residential", (-2650.0, -400.0, -2300.0, 300.0), 420),
    Target("漕北居民区", "residential", (-500.0, 3500.0, 600.0, 4200.0), 5200),
    Target("东海新苑", "residential", (3200.0, 800.0, 3800.0, 1400.0), 2300),
    Target("北塘小学", "school", (-400.0, 2550.0, -200.0, 2700.0), 900),
    Target("滨海中学", "school", (2950.0, 2150.0, 3200.0, 2300.0), 1500),
    Target("海韵幼儿园", "kindergarten", (750.0, 2750.0, 850.0, 2830.0), 240),
    Target("康乐养老院", "nursing_home", (-1600.0, 3150.0, -1450.0, 3250.0), 150),
    Target("海湾医院", "hospital", (-3600.0, 2450.0, -3400.0, 2600.0), 600),
)

RESOURCES = (
    Resource(
        "化工区特勤消防站",
        "fire_station",
        0.0,
        -1280.0,
        12,
        "119",
        "园区专职消防队：泡沫、干粉、举高喷射消防车，危化品侦检和堵漏器材（车辆数）",
    ),
    Resource("化工区北区消防站", "fire_station", 1500.0, 1280.0, 8, "119", "园区消防站（车辆数）"),
    Resource("化工区危化品应急救援队", "rescue_team", 200.0, -1280.0, 40, "", "危化品泄漏处置和洗消（人数）"),
    Resource("化工区医疗急救站", "hospital", -300.0, 1280.0, 20, "120", "急救和中毒救治（床位数）"),
    Resource(
        "化工区应急物资储备库一号库",
        "material_depot",
        -1950.0,
        0.0,
        description="吸附材料、围油栏、堵漏器材、防化服、正压式空气呼吸器",
    ),
    Resource("化工区应急物资储备库二号库", "material_depot", 1950.0, -600.0, description="泡沫液、中和剂、洗消剂"),
    Resource("化工区环境监测站", "monitoring", 800.0, 1280.0, description="大气和水质自动监测，应急监测车"),
    Resource("漕北应急避难场所", "shelter", 0.0, 3000.0, 3000, description="人数", in_park=False),
)

# The park's weather station, north of the plots (a 10 m mast and a screen).
WEATHER_STATION = (0.0, 1275.0)

SPEC = ParkSpec(NAME, LON, LAT, LAYOUT, COMPANIES, TARGETS, RESOURCES, WEATHER_STATION)
