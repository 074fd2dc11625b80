"""Policy facts for the destinations, as first loaded (superusers keep them in the admin, audited).

Area Control List (EIPA s.4) and Automatic Firearms Country Control List
(EIPA s.4.1) as published by Global Affairs Canada; NATO and EU membership;
Arms Trade Treaty states parties (ratified or acceded).
"""

AREA_CONTROL_LIST = {"KP"}

AFCCL = {
    "AL", "AU", "BE", "BW", "BG", "CL", "CO", "HR", "CZ", "DK", "EE", "FI", "FR", "DE", "GR",
    "HU", "IS", "IT", "JP", "KR", "KW", "LV", "LT", "LU", "NL", "NZ", "NO", "PE", "PL", "PT",
    "RO", "SA", "SK", "SI", "ES", "SE", "TR", "UA", "GB", "US",
}

NATO = {
    "AL", "BE", "BG", "CA", "HR", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IS", "IT",
    "LV", "LT", "LU", "ME", "NL", "MK", "NO", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "TR",
    "GB", "US",
}

EU = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}

ATT_STATES_PARTIES = EU | {
    "AD", "AG", "AL", "AR", "AU", "BA", "BB", "BF", "BJ", "BR", "BS", "BW", "BZ", "CA", "CF",
    "CH", "CI", "CL", "CM", "CN", "CR", "CV", "DM", "DO", "GB", "GD", "GE", "GH", "GM", "GN",
    "GT", "GW", "GY", "HN", "IS", "JM", "JP", "KN", "KR", "KZ", "LB", "LC", "LI", "LR", "LS",
    "MC", "MD", "ME", "MG", "MK", "ML", "MN", "MR", "MU", "MV", "MW", "MX", "MZ", "NA", "NE",
    "NG", "NO", "NU", "NZ", "PA", "PE", "PH", "PS", "PW", "PY", "SC", "SL", "SM", "SN", "SR",
    "SV", "TD", "TG", "TT", "TV", "UA", "UY", "VC", "WS", "ZA", "ZM", "RS", "NR", "KI",
}
