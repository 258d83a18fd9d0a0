#pragma once

// OIDs of PostgreSQL's built-in types (src/include/catalog/pg_type.dat). They are fixed below
// 10000, which is why pgoutput never sends Type messages for them.

#include <cstdint>

namespace cdc::pgtype {

inline constexpr uint32_t kBool = 16;
inline constexpr uint32_t kBytea = 17;
inline constexpr uint32_t kChar = 18;
inline constexpr uint32_t kName = 19;
inline constexpr uint32_t kInt8 = 20;
inline constexpr uint32_t kInt2 = 21;
inline constexpr uint32_t kInt4 = 23;
inline constexpr uint32_t kText = 25;
inline constexpr uint32_t kOid = 26;
inline constexpr uint32_t kJson = 114;
inline constexpr uint32_t kXml = 142;
inline constexpr uint32_t kCidr = 650;
inline constexpr uint32_t kFloat4 = 700;
inline constexpr uint32_t kFloat8 = 701;
inline constexpr uint32_t kMacaddr8 = 774;
inline constexpr uint32_t kMoney = 790;
inline constexpr uint32_t kMacaddr = 829;
inline constexpr uint32_t kInet = 869;
inline constexpr uint32_t kBpchar = 1042;
inline constexpr uint32_t kVarchar = 1043;
inline constexpr uint32_t kDate = 1082;
inline constexpr uint32_t kTime = 1083;
inline constexpr uint32_t kTimestamp = 1114;
inline constexpr uint32_t kTimestamptz = 1184;
inline constexpr uint32_t kInterval = 1186;
inline constexpr uint32_t kTimetz = 1266;
inline constexpr uint32_t kNumeric = 1700;
inline constexpr uint32_t kUuid = 2950;
inline constexpr uint32_t kJsonb = 3802;
inline constexpr uint32_t kPoint = 600;
inline constexpr uint32_t kLseg = 601;
inline constexpr uint32_t kPath = 602;
inline constexpr uint32_t kBox = 603;
inline constexpr uint32_t kPolygon = 604;
inline constexpr uint32_t kLine = 628;
inline constexpr uint32_t kCircle = 718;
inline constexpr uint32_t kBit = 1560;
inline constexpr uint32_t kVarbit = 1562;
inline constexpr uint32_t kTsvector = 3614;
inline constexpr uint32_t kInt4Range = 3904;
inline constexpr uint32_t kNumRange = 3906;
inline constexpr uint32_t kTsRange = 3908;
inline constexpr uint32_t kTstzRange = 3910;
inline constexpr uint32_t kDateRange = 3912;
inline constexpr uint32_t kInt8Range = 3926;

// The element type of a built-in array type (e.g. _int4 1007 -> int4 23), or 0.
inline uint32_t BuiltinArrayElement(uint32_t oid) {
  switch (oid) {
    case 1000: return kBool;
    case 1001: return kBytea;
    case 1002: return kChar;
    case 1003: return kName;
    case 1005: return kInt2;
    case 1007: return kInt4;
    case 1009: return kText;
    case 1014: return kBpchar;
    case 1015: return kVarchar;
    case 1016: return kInt8;
    case 1021: return kFloat4;
    case 1022: return kFloat8;
    case 1028: return kOid;
    case 1040: return kMacaddr;
    case 1041: return kInet;
    case 651: return kCidr;
    case 775: return kMacaddr8;
    case 1115: return kTimestamp;
    case 1182: return kDate;
    case 1183: return kTime;
    case 1185: return kTimestamptz;
    case 1187: return kInterval;
    case 1231: return kNumeric;
    case 1270: return kTimetz;
    case 199: return kJson;
    case 3807: return kJsonb;
    case 2951: return kUuid;
    case 143: return kXml;
    case 791: return kMoney;
    case 1017: return kPoint;
    case 1561: return kBit;
    case 1563: return kVarbit;
    case 3643: return kTsvector;
    case 3905: return kInt4Range;
    case 3907: return kNumRange;
    case 3909: return kTsRange;
    case 3911: return kTstzRange;
    case 3913: return kDateRange;
    case 3927: return kInt8Range;
    default: return 0;
  }
}

}  // namespace cdc::pgtype
