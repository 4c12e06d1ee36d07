# The app as docker-compose.yml runs it. Node 20 to match package.json's engines.
FROM node:20.19-bookworm-slim

WORKDIR /app

# Dependencies first, so editing source does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci

COPY . .

ENV PORT=3000
EXPOSE 3000

# Runs as the image's unprivileged user; the app writes nothing to its own directory.
USER node
CMD ["npm", "start"]
