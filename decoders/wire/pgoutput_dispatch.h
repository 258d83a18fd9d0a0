#pragma once

// One dispatcher over decoded pgoutput messages, for every consumer of them (the stream's
// ChangeProcessor, a resumed snapshot's peek at the slot): a consumer implements the handlers
// it cares about; the others ignore their message. std::visit makes the dispatch exhaustive: a
// new message type fails to compile here until it has a handler.

#include <variant>

#include "decoders/base/lsn.h"
#include "decoders/base/status.h"
#include "decoders/wire/pgoutput_messages.h"

namespace cdc::pgoutput {

class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  // `lsn` is the WAL position the message came at (XLogData walStart, or the peeked row's lsn).
  virtual Status OnBegin(const Begin&) { return Status::Ok(); }
  virtual Status OnCommit(const Commit&) { return Status::Ok(); }
  virtual Status OnOrigin(Origin&) { return Status::Ok(); }
  virtual Status OnRelation(Relation&) { return Status::Ok(); }  // may move from it
  virtual Status OnType(const Type&) { return Status::Ok(); }
  virtual Status OnInsert(const Insert&, Lsn) { return Status::Ok(); }
  virtual Status OnUpdate(const Update&, Lsn) { return Status::Ok(); }
  virtual Status OnDelete(const Delete&, Lsn) { return Status::Ok(); }
  virtual Status OnTruncate(const Truncate&, Lsn) { return Status::Ok(); }
  virtual Status OnLogicalMessage(const LogicalMessage&) { return Status::Ok(); }
};

inline Status Dispatch(Message& msg, Lsn lsn, MessageHandler& h) {
  struct Visitor {
    MessageHandler& h;
    Lsn lsn;
    Status operator()(Begin& m) const { return h.OnBegin(m); }
    Status operator()(Commit& m) const { return h.OnCommit(m); }
    Status operator()(Origin& m) const { return h.OnOrigin(m); }
    Status operator()(Relation& m) const { return h.OnRelation(m); }
    Status operator()(Type& m) const { return h.OnType(m); }
    Status operator()(Insert& m) const { return h.OnInsert(m, lsn); }
    Status operator()(Update& m) const { return h.OnUpdate(m, lsn); }
    Status operator()(Delete& m) const { return h.OnDelete(m, lsn); }
    Status operator()(Truncate& m) const { return h.OnTruncate(m, lsn); }
    Status operator()(LogicalMessage& m) const { return h.OnLogicalMessage(m); }
  };
  return std::visit(Visitor{h, lsn}, msg);
}

}  // namespace cdc::pgoutput
