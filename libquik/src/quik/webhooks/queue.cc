// SPDX-License-Identifier: MIT
// The webhook queue: a durable event consumer that turns matching events into
// webhook_deliveries rows (in the transaction that advances its cursor, so
// each event is queued exactly once), and a worker that sends the due ones on
// a few threads, a few at a time per receiver, and records the outcomes.
//
// Delivery is at least once: a row is leased (its next_attempt_at pushed past
// the request's timeout) before it is sent, so a server that dies mid-request
// sends it again after the lease. Per-webhook order is not kept: a delivery
// waiting for a retry does not hold back newer ones.
//
// Stopping the worker (server shutdown) waits for the requests in flight, at
// most webhooks.timeout; they are recorded before the worker stops.
//
// A webhook acts with its creator's rights: the queue checks them before it
// queues an event and before it sends, and pauses the webhook when they are
// gone (PauseForCreator).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "authz/event_visibility.hpp"
#include "common/ids.hpp"
#include "events/consumer.hpp"
#include "net/http_client.hpp"
#include "realtime/frames.hpp"
#include "service/context.hpp"
#include "webhooks/webhooks_internal.hpp"

namespace quik::webhooks {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr std::string_view kConsumerName = "webhooks";
// Due deliveries read at once.
constexpr int kBatch = 100;
// Longest sleep while idle: the consumer's commits do not wake the worker
// directly (it is told before they commit), so it looks again this often.
constexpr milliseconds kIdlePoll{200};

// Whether `e` goes to the webhook: it matches, and came after the webhook's
// creation and outside its last pause (by seq, not by when the queue reads it).
bool Wants(const store::WebhookRecord& r, const Event& e) {
  if (e.seq <= r.created_seq) return false;
  if (r.paused_seq > 0 && e.seq > r.paused_seq && (r.webhook.paused || e.seq <= r.resumed_seq)) {
    return false;
  }
  return std::any_of(r.webhook.events.begin(), r.webhook.events.end(),
                     [&](const std::string& p) { return PatternMatches(p, e.type); });
}

// Queues the deliveries of one batch of events.
class Enqueue {
 public:
  Status operator()(store::Tx& tx, const std::vector<Event>& batch) {
    hooks_.clear();
    public_.clear();
    for (const Event& e : batch) QUIK_RETURN_IF_ERROR(One(tx, e));
    return Status::Ok();
  }

 private:
  Status One(store::Tx& tx, const Event& e) {
    if (e.workspace_id.empty() || !DeliverableType(e.type)) return Status::Ok();
    auto it = hooks_.find(e.workspace_id);
    if (it == hooks_.end()) {
      QUIK_ASSIGN_OR_RETURN(auto records, tx.ListWebhooks(e.workspace_id));
      it = hooks_.emplace(e.workspace_id, std::move(records)).first;
    }
    std::vector<const Webhook*> targets;
    for (store::WebhookRecord& r : it->second) {
      if (!Wants(r, e)) continue;
      // A webhook acts with its creator's rights: gone, it pauses here.
      QUIK_ASSIGN_OR_RETURN(bool creator_may, CreatorMayManage(tx, r.webhook));
      if (!creator_may) {
        QUIK_RETURN_IF_ERROR(PauseForCreator(tx, r, e.seq - 1));
        continue;
      }
      targets.push_back(&r.webhook);
    }
    if (targets.empty()) return Status::Ok();
    // Least privilege: only what happens in public channels (or in no channel).
    if (!e.channel_id.empty()) {
      auto pub = public_.find(e.channel_id);
      if (pub == public_.end()) {
        QUIK_ASSIGN_OR_RETURN(auto channel, tx.GetChannel(e.channel_id));
        const bool is_public = channel && channel->kind == ChannelKind::kPublic;
        pub = public_.emplace(e.channel_id, is_public).first;
      }
      if (!pub->second) return Status::Ok();
    }
    authz::DecodedEvent decoded = authz::Decode(e);
    if (!decoded.decoded) return Status::Ok();
    json body = realtime::EventObject(decoded);
    const Timestamp now = tx.Now();
    for (const Webhook* w : targets) {
      WebhookDelivery d;
      d.id = internal::NewId(now);
      d.webhook_id = w->id;
      d.event_seq = e.seq;
      d.event_type = e.type;
      d.status = DeliveryStatus::kPending;
      d.next_attempt_at = now;
      d.created_at = now;
      body["delivery_id"] = d.id;
      QUIK_RETURN_IF_ERROR(
          tx.InsertDelivery(d, body.dump(-1, ' ', false, json::error_handler_t::replace)));
    }
    return Status::Ok();
  }

  std::unordered_map<std::string, std::vector<store::WebhookRecord>> hooks_;  // by workspace
  std::unordered_map<std::string, bool> public_;                              // by channel
};

// What one attempt came to.
struct Outcome {
  bool ok = false;
  int http_status = 0;
  std::string error;
};

// Sends due deliveries: a dispatcher thread reads them and hands each to one
// of `workers` sender threads, at most `max_in_flight_per_host` at once per
// receiver (scheme, host and port), so that a slow or dead receiver holds at
// most that many senders and delays only its own deliveries.
class DeliveryWorker final : public internal::Worker {
 public:
  explicit DeliveryWorker(internal::Context& ctx)
      : ctx_(ctx), options_(ctx.options.webhooks), rng_(std::random_device{}()) {}
  ~DeliveryWorker() override { Stop(); }

  Status Start(internal::WorkerErrorFn on_error) override {
    std::lock_guard lock(mu_);
    if (running_) return Status::Ok();
    on_error_ = std::move(on_error);
    running_ = true;
    stop_ = false;
    const int senders = std::max(1, options_.workers);
    idle_senders_ = senders;
    for (int i = 0; i < senders; ++i) senders_.emplace_back([this] { SendLoop(); });
    dispatcher_ = std::thread([this] { Dispatch(); });
    return Status::Ok();
  }

  void Stop() override {
    {
      std::lock_guard lock(mu_);
      if (!running_) return;
      stop_ = true;
    }
    cv_.notify_all();
    dispatcher_.join();
    for (std::thread& t : senders_) t.join();  // each finishes the request it is in
    std::lock_guard lock(mu_);
    senders_.clear();
    queue_.clear();
    in_flight_.clear();
    per_host_.clear();
    running_ = false;
  }

 private:
  struct Job {
    store::DeliveryJob job;
    std::string host;  // the receiver's origin
  };

  void Report(const Status& st) {
    if (on_error_) on_error_("webhook-deliveries", st);
  }

  static std::string HostOf(const store::DeliveryJob& job) {
    auto url = ParseWebhookUrl(job.url);
    return url.ok() ? url->origin : job.url;
  }

  void Dispatch() {
    milliseconds wait{0};
    for (;;) {
      {
        std::unique_lock lock(mu_);
        // Look again when woken by a sender that finished, or after `wait`.
        cv_.wait_for(lock, wait, [&] { return stop_ || sender_freed_; });
        if (stop_) return;
        sender_freed_ = false;
        if (idle_senders_ == 0) {
          wait = kIdlePoll;
          continue;
        }
      }
      std::vector<store::DeliveryJob> jobs;
      std::optional<Timestamp> next;
      Status st = ctx_.store->Read([&](store::Tx& tx) -> Status {
        QUIK_ASSIGN_OR_RETURN(
            jobs, tx.DueDeliveries(ctx_.Now(), options_.max_in_flight_per_host, kBatch));
        QUIK_ASSIGN_OR_RETURN(next, tx.NextDeliveryAt());
        return Status::Ok();
      });
      if (!st.ok()) {
        Report(st);
        wait = milliseconds(1000);
        continue;
      }
      int handed = 0;
      bool held_back = false;  // due, but its receiver or every sender is busy
      {
        std::lock_guard lock(mu_);
        for (auto& job : jobs) {
          if (in_flight_.count(job.delivery.id) > 0) continue;
          std::string host = HostOf(job);
          if (idle_senders_ == 0 || per_host_[host] >= options_.max_in_flight_per_host) {
            held_back = true;
            continue;
          }
          in_flight_.insert(job.delivery.id);
          ++per_host_[host];
          --idle_senders_;
          queue_.push_back(Job{std::move(job), std::move(host)});
          ++handed;
        }
      }
      if (handed > 0) cv_.notify_all();
      if (handed > 0 && !held_back) {
        wait = milliseconds(0);  // there may be more, and what was sent may be due again soon
      } else if (held_back || !jobs.empty()) {
        wait = kIdlePoll;  // a sender's end wakes the dispatcher earlier
      } else {
        wait = kIdlePoll;
        if (next) {
          wait = std::clamp(milliseconds(*next - ctx_.Now()), milliseconds(0), kIdlePoll);
        }
      }
    }
  }

  void SendLoop() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      // Once stopping, what was handed out is not sent: it stays due.
      if (!stopping()) {
        Status done = Deliver(job.job);
        if (!done.ok()) Report(done);
      }
      {
        std::lock_guard lock(mu_);
        in_flight_.erase(job.job.delivery.id);
        if (--per_host_[job.host] <= 0) per_host_.erase(job.host);
        ++idle_senders_;
        sender_freed_ = true;
      }
      cv_.notify_all();
    }
  }

  bool stopping() {
    std::lock_guard lock(mu_);
    return stop_;
  }

  // Leases the delivery so that no other server sends it meanwhile; false if
  // it is no longer this worker's to send. `body` is the request body as of
  // the lease: an edit or delete may have rewritten it since it was read. A
  // webhook whose creator lost their rights is paused instead, and its
  // delivery waits for a resume.
  Result<bool> Claim(const WebhookDelivery& seen, std::string& body) {
    bool claimed = false;
    Status st = ctx_.store->Write([&](store::Tx& tx) -> Status {
      QUIK_ASSIGN_OR_RETURN(auto d, tx.GetDelivery(seen.id));
      if (!d || d->status != DeliveryStatus::kPending ||
          d->next_attempt_at != seen.next_attempt_at) {
        return Status::Ok();
      }
      QUIK_ASSIGN_OR_RETURN(auto record, tx.GetWebhook(d->webhook_id));
      if (!record || record->webhook.paused) return Status::Ok();
      QUIK_ASSIGN_OR_RETURN(bool creator_may, CreatorMayManage(tx, record->webhook));
      if (!creator_may) return PauseForCreator(tx, *record, 0);
      const auto lease =
          std::chrono::duration_cast<milliseconds>(options_.timeout) * 2 + milliseconds(5000);
      d->next_attempt_at = ctx_.Now() + lease.count();
      claimed = true;
      QUIK_ASSIGN_OR_RETURN(body, tx.GetDeliveryBody(seen.id));
      return tx.UpdateDelivery(*d);
    });
    if (!st.ok()) return st;
    return claimed;
  }

  Outcome Send(const store::DeliveryJob& job) {
    Outcome out;
    auto url = ParseWebhookUrl(job.url);
    if (!url.ok()) {
      out.error = url.status().message();
      return out;
    }
    net::ClientOptions options;
    options.connect_timeout = std::chrono::duration_cast<milliseconds>(options_.timeout);
    options.request_timeout = std::chrono::duration_cast<milliseconds>(options_.timeout);
    options.max_body_bytes = 64 * 1024;  // the answer's body is not used
    options.user_agent = "QuikApp-Webhooks/1";
    if (!options_.allow_private_addresses) {
      options.check_address = [](const std::string& address) { return CheckAddress(address); };
    }
    auto client = net::HttpClient::Connect(url->origin, std::move(options));
    if (!client.ok()) {
      out.error = client.status().message();
      return out;
    }
    const std::string timestamp = std::to_string(ctx_.Now() / 1000);
    net::HttpHeaders headers = {
        {"Content-Type", "application/json"},
        {"X-Quik-Event", job.delivery.event_type},
        {"X-Quik-Delivery", job.delivery.id},
        {"X-Quik-Timestamp", timestamp},
        {"X-Quik-Signature", SignatureHeader(job.secret, timestamp, job.body)},
    };
    auto response = client->Request("POST", url->target, job.body, headers);
    if (!response.ok()) {
      out.error = response.status().message();
      return out;
    }
    out.http_status = response->status;
    out.ok = response->status >= 200 && response->status < 300;
    if (!out.ok) {
      out.error = "the receiver answered HTTP " + std::to_string(response->status);
      if (response->status >= 300 && response->status < 400)
        out.error += " (redirects are not followed)";
    }
    return out;
  }

  Status Deliver(const store::DeliveryJob& job) {
    store::DeliveryJob leased = job;
    QUIK_ASSIGN_OR_RETURN(bool claimed, Claim(job.delivery, leased.body));
    if (!claimed) return Status::Ok();
    const Outcome outcome = Send(leased);
    double jitter = 0;
    {
      std::lock_guard lock(mu_);
      jitter = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    }
    return ctx_.store->Write([&](store::Tx& tx) -> Status {
      QUIK_ASSIGN_OR_RETURN(auto d, tx.GetDelivery(job.delivery.id));
      if (!d || d->status != DeliveryStatus::kPending) return Status::Ok();  // deleted meanwhile
      const Timestamp now = ctx_.Now();
      d->attempts += 1;
      d->last_http_status = outcome.http_status;
      d->last_error = outcome.error;
      if (outcome.ok) {
        d->status = DeliveryStatus::kSucceeded;
        d->finished_at = now;
      } else if (d->attempts >= options_.max_attempts) {
        d->status = DeliveryStatus::kFailed;
        d->finished_at = now;
      } else {
        d->next_attempt_at = now + RetryDelay(options_, d->attempts, jitter).count();
      }
      return tx.UpdateDelivery(*d);
    });
  }

  internal::Context& ctx_;
  const WebhooksOptions options_;
  internal::WorkerErrorFn on_error_;

  std::mutex mu_;  // guards what follows
  std::condition_variable cv_;
  std::mt19937_64 rng_;
  bool running_ = false;
  bool stop_ = false;
  bool sender_freed_ = false;
  int idle_senders_ = 0;
  std::deque<Job> queue_;                          // handed out, not yet taken by a sender
  std::unordered_set<std::string> in_flight_;      // delivery ids handed out
  std::unordered_map<std::string, int> per_host_;  // handed out, by receiver
  std::thread dispatcher_;
  std::vector<std::thread> senders_;
};

}  // namespace

Status RebuildDeliveries(store::Tx& tx, const Event& rewritten) {
  QUIK_ASSIGN_OR_RETURN(auto ids, tx.ListDeliveriesOfEvent(rewritten.seq));
  if (ids.empty()) return Status::Ok();
  authz::DecodedEvent decoded = authz::Decode(rewritten);
  json body = realtime::EventObject(decoded);
  for (const std::string& id : ids) {
    body["delivery_id"] = id;  // as Enqueue builds it
    QUIK_RETURN_IF_ERROR(
        tx.SetDeliveryBody(id, body.dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  return Status::Ok();
}

std::unique_ptr<internal::Worker> NewEnqueuer(internal::Context& ctx) {
  return std::make_unique<events::Consumer>(*ctx.store, *ctx.bus, std::string(kConsumerName),
                                            Enqueue());
}

std::unique_ptr<internal::Worker> NewDeliveryWorker(internal::Context& ctx) {
  return std::make_unique<DeliveryWorker>(ctx);
}

}  // namespace quik::webhooks
