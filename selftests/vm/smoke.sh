#!/bin/bash
echo "# smoke: $(uname -r)"
ip netns add a; ip netns add b
ip link add va netns a type veth peer name vb netns b
ip -n a addr add 10.9.0.1/24 dev va; ip -n b addr add 10.9.0.2/24 dev vb
ip -n a link set va up; ip -n b link set vb up
K=0x0123456789abcdef0123456789abcdef01234567
for ns in a b; do
ip -n $ns xfrm state add src 10.9.0.1 dst 10.9.0.2 proto esp spi 0x100 mode transport aead 'rfc4106(gcm(aes))' $K 128 replay-window 128 flag esn
ip -n $ns xfrm state add src 10.9.0.2 dst 10.9.0.1 proto esp spi 0x200 mode transport aead 'rfc4106(gcm(aes))' $K 128 replay-window 128
ip -n $ns xfrm state add src 10.9.0.2 dst 10.9.0.1 proto esp spi 0x300 mode transport aead 'rfc4106(gcm(aes))' $K 128 replay-window 32
done
ip -n a xfrm policy add src 10.9.0.1 dst 10.9.0.2 dir out tmpl proto esp mode transport
ip -n b xfrm policy add src 10.9.0.1 dst 10.9.0.2 dir in tmpl proto esp mode transport
ip -n b xfrm policy add src 10.9.0.2 dst 10.9.0.1 dir out tmpl proto esp mode transport
ip -n a xfrm policy add src 10.9.0.2 dst 10.9.0.1 dir in tmpl proto esp mode transport
time ip netns exec a ping -q -c 200 -i 0.005 10.9.0.2
ip -n a -s xfrm state; ip netns exec b cat /proc/net/xfrm_stat
