# Quire's server in a container: the self-contained single file on a minimal base.
#   docker build -t quire .
#   docker run -p 7070:7070 -v quire-data:/data -e NEDBD_TOKEN="$(openssl rand -hex 32)" quire
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 -t quire .
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
RUN dotnet publish src/Quire.Cli -c Release \
      -p:PublishProfile=linux-$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64) -p:PublishDir=/out/

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0
COPY --from=build /out/quire /usr/local/bin/quire
VOLUME /data
# 7070 HTTP/1.1, 7071 h2c; add --resp2-port 6380 (and -p 6380:6380) for the Redis protocol.
EXPOSE 7070 7071
# Listening on every interface: give it a token (NEDBD_TOKEN) unless the network is private.
ENTRYPOINT ["quire", "serve", "--host", "0.0.0.0", "--data", "/data"]
