# The infrastructure images of deploy/compose.yaml, from Debian 13's own packages on the same base as our images
# (no image registry is reachable on the machines this was made on; elsewhere the official nats, redis, nginx and
# prometheus images do the same job):
#
#   podman build --isolation chroot --format docker -f deploy/infra.Dockerfile --target nats -t localhost/llc-nats .
#   (targets: nats, redis, balancer, prometheus; deploy/compose-up.sh builds them all)

ARG BASE=localhost/llc-debian13-node24:latest

FROM ${BASE} AS apt-base
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/node

FROM apt-base AS nats
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server \
  && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown 10002 /data
USER 10002
EXPOSE 4222 6222 8222
VOLUME /data
ENTRYPOINT ["nats-server"]
CMD ["-js", "-sd", "/data", "-p", "4222", "-m", "8222"]

FROM apt-base AS redis
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
  && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown 10003 /data
USER 10003
WORKDIR /data
EXPOSE 6379
VOLUME /data
ENTRYPOINT ["redis-server"]
# Append-only persistence (conversations, sessions and budgets survive a restart) and noeviction (an evicted
# owner key would free a conversation id; see the README's Security section).
CMD ["--bind", "0.0.0.0", "--port", "6379", "--protected-mode", "no", "--appendonly", "yes", "--dir", "/data", \
  "--maxmemory-policy", "noeviction"]

FROM apt-base AS balancer
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light \
  && rm -rf /var/lib/apt/lists/*
COPY deploy/balancer/nginx.conf /etc/llc/nginx.conf
EXPOSE 8080
STOPSIGNAL SIGQUIT
ENTRYPOINT ["nginx", "-c", "/etc/llc/nginx.conf", "-e", "stderr", "-g", "daemon off;"]

FROM apt-base AS prometheus
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
  && rm -rf /var/lib/apt/lists/*
COPY deploy/prometheus/prometheus.yml /etc/llc/prometheus.yml
USER prometheus
EXPOSE 9090
# The relays' metrics token comes from the environment (LLC_METRICS_TOKEN) into the file prometheus.yml names.
ENTRYPOINT ["/bin/sh", "-c", "umask 077 && printf %s \"$LLC_METRICS_TOKEN\" >/tmp/llc-metrics-token && exec prometheus --config.file=/etc/llc/prometheus.yml --storage.tsdb.path=/var/lib/prometheus/metrics2"]
