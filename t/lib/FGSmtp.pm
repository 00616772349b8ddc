# SPDX-License-Identifier: BSD-2-Clause
# FGSmtp: a small SMTP client for the cluster tests: one session, optional
# XCLIENT (to stand in for changing client IPs) and AUTH PLAIN, many
# messages; each send returns the reply that decided the message.
#
#   my $s = FGSmtp->new($port, xclient => 'ADDR=198.51.100.7',
#       auth => ['alice', 'alicepw']) or die;
#   my $reply = $s->send('from@x', 'to@y', FGSmtp::message('id1'));
#   $s->quit;
# A session refused before MAIL (greeting, EHLO, XCLIENT, AUTH) returns
# nothing and leaves the refusing reply in $FGSmtp::error.
package FGSmtp;
use strict;
use warnings;
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64);

our $error = ''; # the reply that refused the last failed session

sub new {
    my ($class, $port, %o) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
        Timeout => 30) or return;
    my $self = bless { s => $s, last => '' }, $class;
    $error = 'no greeting';
    $self->reply =~ /^220/ or return $self->fail;
    $self->cmd('EHLO client.fg.test') =~ /^250/ or return $self->fail;
    if ($o{xclient}) {
        $self->cmd("XCLIENT $o{xclient}") =~ /^220/ or return $self->fail;
        $self->cmd('EHLO client.fg.test') =~ /^250/ or return $self->fail;
    }
    if ($o{auth}) {
        my $tok = encode_base64("\0$o{auth}[0]\0$o{auth}[1]", '');
        $self->cmd("AUTH PLAIN $tok") =~ /^235/ or return $self->fail;
    }
    return $self;
}

# fail: keep the refusing reply in $FGSmtp::error, close, return nothing
sub fail {
    my ($self) = @_;
    $error = $self->{last};
    close $self->{s};
    return;
}

# reply: the last line of a (multi-line) reply, "" on EOF or timeout
sub reply {
    my ($self) = @_;
    my $l;
    do { $l = readline($self->{s}) } while defined $l && $l =~ /^\d{3}-/;
    $l //= '';
    $l =~ s/\r?\n$//;
    return $self->{last} = $l;
}

sub cmd {
    my ($self, $line) = @_;
    print { $self->{s} } "$line\r\n";
    return $self->reply;
}

# send(FROM, TO, DATA): the reply that decided it (RCPT refusal or the
# end-of-data reply)
sub send {
    my ($self, $from, $to, $data) = @_;
    my $r = $self->cmd("MAIL FROM:<$from>");
    if ($r =~ /^250/) {
        $r = $self->cmd("RCPT TO:<$to>");
        if ($r =~ /^250/) {
            $r = $self->cmd('DATA');
            if ($r =~ /^354/) {
                $data =~ s/\r?\n/\r\n/g;
                $data =~ s/^\./../mg;
                print { $self->{s} } $data, ".\r\n";
                return $self->reply;
            }
        }
    }
    $self->cmd('RSET');
    return $r;
}

sub quit {
    my ($self) = @_;
    $self->cmd('QUIT');
    close $self->{s};
}

# message(ID, HEADERS...): a small message whose X-Test-Id is ID
sub message {
    my ($id, @hdr) = @_;
    return join('', map { "$_\n" } 'From: t@fg.test', 'To: r@example.net',
        "Subject: $id", "Message-ID: <$id\@fg.test>", "X-Test-Id: $id", @hdr)
        . "\nbody $id\n";
}

1;
