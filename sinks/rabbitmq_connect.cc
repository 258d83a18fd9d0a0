#include "sinks/rabbitmq_sink.h"

// RabbitmqSink's connection: connecting (TCP or TLS) and logging in, the publisher-confirm
// channel, and the exchange (and Celery queue) declarations, passive for `validate`.

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>

#include <string>

#include "sinks/rabbitmq_amqp.h"

namespace cdc::sinks {

using amqp_util::Bytes;
using amqp_util::ChannelCloseCode;
using amqp_util::kChannel;
using amqp_util::kHeartbeatSeconds;
using amqp_util::kProbeChannel;
using amqp_util::ReplyError;
using amqp_util::ToTimeval;

namespace {

// A TLS socket on `conn` as `o` asks, or the cause. rabbitmq-c verifies the peer and its host
// name by default; both are set explicitly, so the default is visible here.
Result<amqp_socket_t*> TlsSocket(amqp_connection_state_t conn, const RabbitmqOptions& o) {
  amqp_socket_t* socket = amqp_ssl_socket_new(conn);
  if (socket == nullptr) return Status::IoError("rabbitmq: cannot allocate a TLS socket");
  const amqp_boolean_t verify = o.tls_verify ? 1 : 0;
  amqp_ssl_socket_set_verify_peer(socket, verify);
  amqp_ssl_socket_set_verify_hostname(socket, verify);
  const std::string ca = o.tls_ca_file.empty() ? RabbitmqSink::kSystemCaBundle : o.tls_ca_file;
  if (o.tls_verify || !o.tls_ca_file.empty()) {
    const int rc = amqp_ssl_socket_set_cacert(socket, ca.c_str());
    if (rc != AMQP_STATUS_OK) {
      return Status::InvalidArgument("rabbitmq: cannot load the CA certificates " + ca +
                                     " (sink.rabbitmq.tls_ca_file): " + amqp_error_string2(rc));
    }
  }
  if (!o.tls_cert_file.empty()) {
    const int rc = amqp_ssl_socket_set_key(socket, o.tls_cert_file.c_str(), o.tls_key_file.c_str());
    if (rc != AMQP_STATUS_OK) {
      return Status::InvalidArgument("rabbitmq: cannot load the client certificate " +
                                     o.tls_cert_file + " and key " + o.tls_key_file + ": " +
                                     amqp_error_string2(rc));
    }
  }
  return socket;
}

}  // namespace

Status RabbitmqSink::Connect(int timeout_ms) {
  if (conn_ != nullptr) return Status::Ok();
  if (!lost_cause_.empty()) return Status::DeliveryFailed(lost_cause_);
  AmqpConnectionPtr conn(amqp_new_connection());
  if (conn == nullptr) return Status::IoError("rabbitmq: cannot allocate a connection");
  amqp_socket_t* socket = nullptr;  // owned by conn
  if (options_.tls) {
    auto tls = TlsSocket(conn.get(), options_);
    if (!tls.ok()) return tls.status();
    socket = *tls;
  } else {
    socket = amqp_tcp_socket_new(conn.get());
    if (socket == nullptr) return Status::IoError("rabbitmq: cannot allocate a socket");
  }
  timeval tv = ToTimeval(timeout_ms);
  (void)amqp_set_handshake_timeout(conn.get(), &tv);
  (void)amqp_set_rpc_timeout(conn.get(), &tv);
  const int rc = amqp_socket_open_noblock(socket, options_.host.c_str(), options_.port, &tv);
  if (rc != AMQP_STATUS_OK) {
    std::string hint;
    if (rc == AMQP_STATUS_SSL_PEER_VERIFY_FAILED) {
      hint = " (the broker's certificate is not signed by a CA in " +
             (options_.tls_ca_file.empty() ? std::string(kSystemCaBundle) : options_.tls_ca_file) +
             ": sink.rabbitmq.tls_ca_file)";
    } else if (rc == AMQP_STATUS_SSL_HOSTNAME_VERIFY_FAILED) {
      hint = " (the broker's certificate is not for host '" + options_.host + "')";
    }
    return Status::Unavailable(std::string("rabbitmq: cannot connect to ") +
                               (options_.tls ? "amqps://" : "") + Where() + ": " +
                               amqp_error_string2(rc) + hint);
  }
  amqp_rpc_reply_t r =
      amqp_login(conn.get(), options_.vhost.c_str(), 0, AMQP_DEFAULT_FRAME_SIZE, kHeartbeatSeconds,
                 AMQP_SASL_METHOD_PLAIN, options_.user.c_str(), options_.password.c_str());
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    std::string cause = ReplyError(r);
    // RabbitMQ closes the socket on bad credentials (ACCESS_REFUSED before the connection is
    // open): rabbitmq-c sees only the closed socket.
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        r.library_error == AMQP_STATUS_CONNECTION_CLOSED)
      cause += " (wrong user or password in sink.rabbitmq.url?)";
    return Status::Unavailable("rabbitmq: login at " + Where() + " as '" + options_.user +
                               "' vhost '" + options_.vhost + "' failed: " + cause);
  }
  amqp_channel_open(conn.get(), kChannel);
  r = amqp_get_rpc_reply(conn.get());
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    return Status::Unavailable("rabbitmq: cannot open a channel at " + Where() + ": " +
                               ReplyError(r));
  }
  conn_ = std::move(conn);
  return Status::Ok();
}

Result<bool> RabbitmqSink::Declare(uint16_t channel, bool passive) {
  const bool celery = !options_.celery_task.empty();
  const std::string& name = celery ? options_.celery_queue : options_.exchange;
  const std::string what = celery ? "queue '" + name + "'" : "exchange '" + name + "'";
  if (celery) {
    // Durable, no arguments: as a Celery worker declares its queue, so both agree.
    amqp_queue_declare(conn_.get(), channel, Bytes(name), passive, 1, 0, 0, amqp_empty_table);
  } else {
    amqp_exchange_declare(conn_.get(), channel, Bytes(name), Bytes("topic"), passive, 1, 0, 0,
                          amqp_empty_table);
  }
  amqp_rpc_reply_t r = amqp_get_rpc_reply(conn_.get());
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return true;
  const uint16_t code = ChannelCloseCode(r);
  if (code != 0) {
    // The broker closed the channel; it must be acknowledged before the channel is reused.
    amqp_channel_close_ok_t ok{};
    (void)amqp_send_method(conn_.get(), channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
  }
  if (passive && code == AMQP_NOT_FOUND) return false;
  std::string hint;
  if (code == AMQP_PRECONDITION_FAILED) {
    hint = celery ? " (it exists with other settings than durable, no arguments)"
                  : " (it exists, but is not a durable topic exchange)";
  }
  if (code == AMQP_ACCESS_REFUSED) hint = " (the user may not configure it)";
  return Status::Unavailable("rabbitmq: cannot declare " + what + " at " + Where() + ": " +
                             ReplyError(r) + hint);
}

Status RabbitmqSink::CheckReachable(int timeout_ms) {
  if (ready_) return Status::Ok();
  CDC_RETURN_IF_ERROR(Connect(timeout_ms));
  auto declared = Declare(kChannel, false);
  if (!declared.ok()) return declared.status();
  amqp_confirm_select(conn_.get(), kChannel);
  amqp_rpc_reply_t r = amqp_get_rpc_reply(conn_.get());
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    return Status::Unavailable("rabbitmq: confirm.select at " + Where() +
                               " failed: " + ReplyError(r));
  }
  ready_ = true;
  return Status::Ok();
}

Result<std::string> RabbitmqSink::Probe(int timeout_ms) {
  CDC_RETURN_IF_ERROR(Connect(timeout_ms));
  amqp_channel_open(conn_.get(), kProbeChannel);
  amqp_rpc_reply_t r = amqp_get_rpc_reply(conn_.get());
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    return Status::Unavailable("rabbitmq: cannot open a channel at " + Where() + ": " +
                               ReplyError(r));
  }
  auto exists = Declare(kProbeChannel, true);
  if (!exists.ok()) return exists.status();
  const bool celery = !options_.celery_task.empty();
  const std::string what = celery ? "Celery queue '" + options_.celery_queue + "'"
                                  : "exchange '" + options_.exchange + "'";
  return "rabbitmq reachable at " + Where() +
         (options_.tls ? " (TLS, login, channel); " : " (login, channel); ") + what + " " +
         (*exists ? "exists" : "missing: run declares it");
}

}  // namespace cdc::sinks
