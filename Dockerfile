# The app as docker-compose.yml runs it. Node 20 to match package.json's engines.
FROM node:20.19-bookworm-slim

WORKDIR /app

# Dependencies first, so editing source does not reinstall them. Production ones only.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

COPY . .

# Production unless told otherwise: the app then refuses to start without a real Twilio token and
# the URL Twilio calls (PUBLIC_BASE_URL, or TRUST_PROXY=true behind a proxy that sets X-Forwarded-*).
ENV NODE_ENV=production
ENV PORT=3000
EXPOSE 3000

# Where a development token (NODE_ENV=development, no TWILIO_AUTH_TOKEN) and an embedded database
# are kept: the only place the app writes, owned by the unprivileged user it runs as.
ENV PGLITE_DATA_DIR=/var/lib/convonet/pglite
RUN mkdir -p /var/lib/convonet && chown node:node /var/lib/convonet
VOLUME /var/lib/convonet

USER node
# Node itself is the container's process, not npm or a shell, so `docker stop`'s SIGTERM reaches
# it and starts the graceful shutdown (which needs up to ~30 s: give it `stop_grace_period`).
# The same command as `npm start`.
CMD ["node", "--import", "tsx", "--import", "./src/env-file.ts", "--import", "./telemetry/preload.ts", "src/main.ts"]
