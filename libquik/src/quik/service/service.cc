// SPDX-License-Identifier: MIT
#include "quik/service.hpp"

#include "auth/tokens.hpp"
#include "common/ids.hpp"
#include "files/blob_store.hpp"
#include "service/context.hpp"
#include "store/migrations.hpp"

namespace quik {
namespace {

constexpr std::string_view kTokenIndexKey = auth::kTokenIndexMetaKey;

// LMDB's token index is derived from the tokens table. A data dir restored or
// copied without lmdb/ gets it rebuilt here, once. It runs as a write, under
// the same lock as every token change, so that a revocation committed by
// another process cannot slip between reading the table and filling the index.
Status RebuildTokenIndexIfMissing(store::Store& store) {
  QUIK_ASSIGN_OR_RETURN(auto marker, store.lmdb().Get(store::Db::kMeta, kTokenIndexKey));
  if (marker) return Status::Ok();
  return store.Write([&](store::Tx& tx) -> Status {
    QUIK_ASSIGN_OR_RETURN(auto again, store.lmdb().Get(store::Db::kMeta, kTokenIndexKey));
    if (again) return Status::Ok();
    Timestamp now = tx.Now();
    QUIK_ASSIGN_OR_RETURN(auto records, tx.ListTokens(""));
    for (const auto& r : records) {
      if (r.token.revoked_at != 0 || (r.token.expires_at != 0 && r.token.expires_at <= now)) {
        continue;
      }
      auth::TokenIndexEntry e{r.token.id, r.token.user_id, r.token.kind, r.token.expires_at};
      tx.lmdb().Put(store::Db::kTokens, r.secret_hash, e.Encode());
    }
    tx.lmdb().Put(store::Db::kMeta, kTokenIndexKey, "1");
    return Status::Ok();
  });
}

class ServiceImpl final : public Service {
 public:
  explicit ServiceImpl(std::unique_ptr<internal::Context> ctx)
      : ctx_(std::move(ctx)),
        users_(ctx_.get()),
        auth_(ctx_.get()),
        workspaces_(ctx_.get()),
        channels_(ctx_.get()),
        messages_(ctx_.get()),
        events_(ctx_.get()),
        presence_(ctx_.get()),
        reads_(ctx_.get()),
        notifications_(ctx_.get()),
        webhooks_(ctx_.get()),
        files_(ctx_.get()),
        search_(ctx_.get()),
        provision_(ctx_.get()) {}

  const Options& options() const override { return ctx_->options; }
  UserService& users() override { return users_; }
  AuthService& auth() override { return auth_; }
  WorkspaceService& workspaces() override { return workspaces_; }
  ChannelService& channels() override { return channels_; }
  MessageService& messages() override { return messages_; }
  EventService& events() override { return events_; }
  PresenceService& presence() override { return presence_; }
  ReadStateService& reads() override { return reads_; }
  NotificationService& notifications() override { return notifications_; }
  WebhookService& webhooks() override { return webhooks_; }
  FileService& files() override { return files_; }
  SearchService& search() override { return search_; }
  ProvisionService& provision() override { return provision_; }

  internal::Context* context() { return ctx_.get(); }

 private:
  std::unique_ptr<internal::Context> ctx_;
  UserService users_;
  AuthService auth_;
  WorkspaceService workspaces_;
  ChannelService channels_;
  MessageService messages_;
  EventService events_;
  PresenceService presence_;
  ReadStateService reads_;
  NotificationService notifications_;
  WebhookService webhooks_;
  FileService files_;
  SearchService search_;
  ProvisionService provision_;
};

}  // namespace

namespace internal {

Context* ContextOf(Service& service) {
  auto* impl = dynamic_cast<ServiceImpl*>(&service);
  return impl == nullptr ? nullptr : impl->context();
}

}  // namespace internal

Result<std::unique_ptr<Service>> Service::Open(const Options& options) {
  auto ctx = std::make_unique<internal::Context>();
  ctx->options = options;
  ctx->hash_pool =
      std::make_unique<auth::HashPool>(options.auth.hash_threads, options.auth.hash_queue);
  ctx->upload_pool_ = std::make_unique<internal::BoundedPool>(options.files.upload_threads,
                                                              options.files.upload_queue);
  ctx->auth_pool_ = std::make_unique<internal::BoundedPool>(options.server.auth_threads,
                                                            options.server.auth_queue);
  QUIK_ASSIGN_OR_RETURN(ctx->store, store::Store::Open(options));
  QUIK_ASSIGN_OR_RETURN(auto pending, MigrateUp(options, /*dry_run=*/true));
  if (!pending.empty()) {
    if (!options.storage.auto_migrate) {
      return Unavailable("the database has " + std::to_string(pending.size()) +
                         " pending migration(s); run `quikctl migrate up`");
    }
    QUIK_RETURN_IF_ERROR(MigrateUp(options, /*dry_run=*/false).status());
  }
  QUIK_RETURN_IF_ERROR(RebuildTokenIndexIfMissing(*ctx->store));
  // Temp files of uploads whose process died (live ones hold a lock).
  files::BlobStore(files::BlobsDir(options.data_dir)).SweepTemp();
  ctx->bus = std::make_unique<events::Bus>(*ctx->store, options);
  return std::unique_ptr<Service>(new ServiceImpl(std::move(ctx)));
}

}  // namespace quik
