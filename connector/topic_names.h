#pragma once

// Where pgcdc's records go: the destination naming policy, Debezium's (topic.prefix = name).
// Decided here, in the connector; decoders/ only carries the names it is given (a table's in its
// TableSchema via CatalogHints, the others in EventOptions). A sink with other naming rules, or a
// routing option, changes this file.

#include <string>

namespace cdc::connector {

// <prefix>.<schema>.<table>, with characters Kafka does not allow in topic names replaced by '_'
// (as Debezium's topic naming does): "public.Order Items" -> "shop.public.Order_Items".
std::string TableTopic(const std::string& prefix, const std::string& nspname,
                       const std::string& relname);
// <prefix>.transaction, <prefix>.message and __debezium-heartbeat.<prefix>.
std::string TransactionTopic(const std::string& prefix);
std::string MessageTopic(const std::string& prefix);
std::string HeartbeatTopic(const std::string& prefix);

}  // namespace cdc::connector
