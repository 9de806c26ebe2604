"""Invented-name material for the synthetic population: common given, middle and family names per
country, merchant and employer names. Short lists, so that name collisions (two different
people called JOHN KAMAU MWANGI) happen, as they do in real data."""

from __future__ import annotations

__all__ = ["BANKS", "COUNTRY_CURRENCY", "EMPLOYERS", "EXCHANGES", "FAMILY", "GIVEN", "MERCHANTS", "MIDDLE", "WALLETS"]

GIVEN: dict[str, list[str]] = {
    "KE": [
        "John",
        "Mary",
        "Peter",
        "Grace",
        "James",
        "Faith",
        "Joseph",
        "Esther",
        "David",
        "Mercy",
        "Daniel",
        "Ann",
        "Samuel",
        "Jane",
        "Paul",
        "Lucy",
        "Brian",
        "Caroline",
        "Kevin",
        "Beatrice",
        "Dennis",
        "Purity",
    ],
    "UG": [
        "Moses",
        "Sarah",
        "Ronald",
        "Prossy",
        "Isaac",
        "Brenda",
        "Denis",
        "Agnes",
        "Emmanuel",
        "Juliet",
        "Robert",
        "Harriet",
        "Ivan",
        "Winnie",
    ],
    "ET": [
        "Abebe",
        "Selam",
        "Tesfaye",
        "Hiwot",
        "Dawit",
        "Meron",
        "Yonas",
        "Bethlehem",
        "Kebede",
        "Tigist",
        "Solomon",
        "Mekdes",
        "Henok",
        "Liya",
    ],
    "DJ": [
        "Ahmed",
        "Fatouma",
        "Ali",
        "Hodan",
        "Omar",
        "Amina",
        "Hassan",
        "Deka",
        "Mohamed",
        "Kadra",
        "Ismail",
        "Safia",
    ],
}
MIDDLE: dict[str, list[str]] = {
    "KE": [
        "Kamau",
        "Wanjiku",
        "Otieno",
        "Achieng",
        "Kiprop",
        "Chebet",
        "Mutua",
        "Njeri",
        "Omondi",
        "Akinyi",
        "Kiptoo",
        "Wambui",
        "Nyambura",
        "Ochieng",
        "Atieno",
        "Wairimu",
    ],
    "UG": ["Okello", "Nakato", "Mugisha", "Namutebi", "Kato", "Akello", "Opio", "Nansubuga"],
    "ET": ["Girma", "Alemu", "Tadesse", "Bekele", "Haile", "Mengistu", "Wolde", "Assefa", "Desta", "Gebre"],
    "DJ": ["Abdi", "Farah", "Houssein", "Robleh", "Aden", "Djama", "Elmi", "Waberi"],
}
FAMILY: dict[str, list[str]] = {
    "KE": [
        "Mwangi",
        "Otieno",
        "Kamau",
        "Odhiambo",
        "Kiprotich",
        "Njoroge",
        "Wafula",
        "Mutiso",
        "Kariuki",
        "Onyango",
        "Chege",
        "Koech",
        "Wanyama",
        "Maina",
        "Ndungu",
        "Barasa",
        "Kimani",
        "Ouma",
    ],
    "UG": [
        "Ssemwogerere",
        "Atuhaire",
        "Byaruhanga",
        "Tumusiime",
        "Kato",
        "Okello",
        "Nabukenya",
        "Mugisha",
        "Kizza",
        "Ochieng",
        "Lubega",
        "Namutebi",
    ],
    "ET": ["Tadesse", "Bekele", "Haile", "Kebede", "Alemu", "Girma", "Gebremedhin", "Tesfaye", "Woldemariam", "Abera"],
    "DJ": ["Youssouf", "Guelleh", "Farah", "Robleh", "Aden", "Djama", "Elmi", "Waberi", "Houmed", "Dileita"],
}
MERCHANTS: dict[str, list[str]] = {
    "KE": [
        "KPLC PREPAID",
        "NAIROBI WATER",
        "SAFARICOM POSTPAID",
        "ZUKU FIBRE",
        "DSTV KENYA",
        "NAIVAS SUPERMARKET",
        "NHIF",
        "KRA",
    ],
    "UG": ["UMEME YAKA", "NWSC", "MULTICHOICE UGANDA", "CAPITAL SHOPPERS"],
    "ET": ["ETHIO TELECOM", "EEU PREPAID", "SHOA SUPERMARKET", "AA WATER"],
    "DJ": ["EDD ELECTRICITE", "ONEAD", "DJIBOUTI TELECOM", "NOUGAPRIX"],
}
EMPLOYERS: list[str] = [
    "LTD",
    "HOLDINGS LTD",
    "SACCO",
    "COUNTY GOVERNMENT",
    "SCHOOL",
    "HOSPITAL",
    "LOGISTICS LTD",
    "FARMS LTD",
]

COUNTRY_CURRENCY = {"KE": "KES", "UG": "UGX", "ET": "ETB", "DJ": "DJF"}
"""Currency of each served country's accounts."""

BANKS = {
    "KE": ["KCB Bank Kenya", "Equity Bank Kenya", "Co-operative Bank of Kenya", "NCBA Bank Kenya", "Absa Bank Kenya"],
    "UG": ["Stanbic Bank Uganda", "Centenary Bank", "dfcu Bank"],
    "ET": ["Commercial Bank of Ethiopia", "Awash Bank", "Dashen Bank"],
    "DJ": ["BCIMR", "Salaam African Bank"],
}

EXCHANGES = ["binance", "okx", "bybit", "kucoin"]
"""Exchanges of the ``exch:`` accounts and of the hot wallets (synthetic stand-ins)."""

WALLETS = {"KE": "M-PESA", "UG": "MTN MoMo", "ET": "telebirr", "DJ": "D-Money"}
