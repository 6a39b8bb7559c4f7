"""The unified social credit code (统一社会信用代码) of GB 32100-2015.

Eighteen characters from a 31-character set (digits and capitals without I, O, Z, S, V):

    1      registration authority (登记管理部门代码)
    2      organization category within that authority (机构类别代码)
    3-8    administrative division of the registering office (GB/T 2260, six digits)
    9-17   organization code (主体标识码, GB 11714), whose last character is its own check digit
    18     check digit over the first 17 characters (weights 3**i mod 31)

Both check digits are enforced: every real code we verified passes both, and the organization code
check catches errors in positions 9-17 that a mistyped position 18 could otherwise hide.
"""

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: index for index, char in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Registration authority → the organization categories it may assign (GB 32100-2015 and the codes
# assigned since: 2 外交, 3 司法行政, 4 文化, 6 旅游, 7 宗教, 8 工会, A 军队, N 农业).
CATEGORIES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 编办直管群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律所, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国/港澳台旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他: not divided into categories
}


class CreditCodeError(ValueError):
    """The code is not a valid unified social credit code; the message says why."""


def credit_code_check_digit(first17: str) -> str:
    """The 18th character for the given first 17 (which must be in the charset)."""
    if len(first17) != 17:
        raise CreditCodeError(f"expected 17 characters, got {len(first17)}")
    pairs = enumerate(zip(first17, _WEIGHTS, strict=True))
    total = sum(_char_value(char, position) * weight for position, (char, weight) in pairs)
    return CHARSET[(31 - total % 31) % 31]


def organization_code_check_digit(first8: str) -> str:
    """The GB 11714 check character of an organization code's first 8 characters.

    GB 11714 values letters by their place in the full alphabet (A=10 ... Z=35), not by CHARSET.
    """
    total = sum(_org_value(char) * weight for char, weight in zip(first8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_credit_code(code: str) -> str:
    """Return the normalised code (stripped, upper case) or raise ``CreditCodeError`` with the reason."""
    code = code.strip().upper()
    if len(code) != 18:
        raise CreditCodeError(f"a unified social credit code has 18 characters, got {len(code)}")
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            raise CreditCodeError(f"illegal character {char!r} at position {position}")
    authority, category = code[0], code[1]
    if authority not in CATEGORIES:
        raise CreditCodeError(f"bad registration authority code {authority!r} at position 1")
    if category not in CATEGORIES[authority]:
        raise CreditCodeError(f"bad organization category {category!r} at position 2 for authority {authority!r}")
    if not (code[2:8].isascii() and code[2:8].isdigit()):
        raise CreditCodeError("positions 3-8 must be the six digits of an administrative division")
    if organization_code_check_digit(code[8:16]) != code[16]:
        raise CreditCodeError("bad organization code check digit at position 17")
    if credit_code_check_digit(code[:17]) != code[17]:
        raise CreditCodeError("bad check digit at position 18")
    return code


def is_valid_credit_code(code: str) -> bool:
    try:
        validate_credit_code(code)
    except CreditCodeError:
        return False
    return True


def _char_value(char: str, position: int) -> int:
    try:
        return _VALUE[char]
    except KeyError:
        raise CreditCodeError(f"illegal character {char!r} at position {position + 1}") from None


def _org_value(char: str) -> int:
    if "0" <= char <= "9":
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    raise CreditCodeError(f"illegal character {char!r} in the organization code")
