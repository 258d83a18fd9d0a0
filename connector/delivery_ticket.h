#pragma once

// DeliveryTicket: what one delivery report settles. Every event goes to the sink under a ticket
// (the Publisher passes it as the sink's opaque), and its report comes back to that ticket, typed:
// no void* with two meanings. Streaming's tickets are the LsnTracker's transaction records; the
// snapshot's are its per-table records.
//
// Lifetime: a ticket must outlive the reports of every event sent under it. Threads: Sent() runs
// on the thread that publishes; Settle() on the thread that serves the sink's reports (the
// replication thread while streaming; during a snapshot, whichever worker or the snapshot's own
// thread polls). A ticket shared by several threads makes Settle() thread-safe itself.

#include <optional>

#include "decoders/base/lsn.h"
#include "decoders/base/status.h"

namespace cdc::connector {

// Where the events of a ticket come from, for the record of an event the broker refused.
struct TicketOrigin {
  std::optional<Lsn> lsn;  // the source position; nullopt when the ticket knows none (heartbeat)
  bool in_snapshot = false;
};

class DeliveryTicket {
 public:
  // One more event of this ticket is about to go to the sink.
  virtual void Sent() = 0;
  // One event of this ticket was reported: delivered when `status` is OK, given up otherwise.
  virtual void Settle(const Status& status) = 0;
  virtual TicketOrigin Origin() const = 0;

 protected:
  ~DeliveryTicket() = default;  // never deleted through the interface: owners keep tickets
};

}  // namespace cdc::connector
